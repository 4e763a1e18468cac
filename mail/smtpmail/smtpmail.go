// Package smtpmail is a mail.Sender that submits each message to an SMTP
// server (a relay, a provider's submission endpoint, or a local catcher
// such as Mailpit in development).
//
//	mailer := smtpmail.New(smtpmail.Config{
//		Host:     "smtp.example.com", // port 587, STARTTLS required
//		Username: "apikey",
//		Password: os.Getenv("SMTP_PASSWORD"),
//		From:     "Example <no-reply@example.com>",
//	})
//
// # Transport security
//
// TLS is required by default: [STARTTLS] (port 587) refuses to continue
// when the server does not offer STARTTLS, rather than falling back to
// plaintext, because a network attacker can strip the offer and read every
// code and link. [ImplicitTLS] (port 465) speaks TLS from the first byte.
// [InsecurePlaintext] is for a development server on the same machine or
// network and gives up confidentiality and server authentication; even
// then, credentials are only ever sent over TLS or to a loopback address.
//
// # One connection per message
//
// Each Send dials, greets, authenticates, sends one message and quits.
// Latch sends few messages (codes, links, notifications), so the cost of a
// connection is small next to its simplicity: no pool to go stale, no
// server-side idle timeout to handle, and a failure affects one message.
// An application sending bulk mail should use its provider's API.
//
// # Why net/smtp
//
// The client is the standard library's net/smtp. It is frozen, not
// deprecated: it receives security fixes with every Go release, its API
// cannot change under us, and it keeps third-party code out of the
// production send path (github.com/emersion/go-smtp, already in the
// module, is used only by the in-process test server in mail/mailtest).
// It already does what submission needs: EHLO, STARTTLS, AUTH PLAIN,
// SMTPUTF8 and 8BITMIME when offered, dot-stuffing, and refusal of CR/LF
// in commands. What it lacks is handled here: context support (the dial
// honours ctx, one deadline bounds the whole exchange, and cancelling ctx
// aborts blocked I/O) and AUTH LOGIN (a few lines, for servers that offer
// nothing else). go-smtp's client offers no context support either, so it
// would not have removed that code.
package smtpmail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch/mail"
)

// TLSMode says how a connection to the server is secured.
type TLSMode int

const (
	// STARTTLS connects in plaintext and upgrades with STARTTLS before
	// anything else is sent; a server that does not offer it is an error.
	// The default; the default port is 587.
	STARTTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte ("SMTPS", RFC 8314). The
	// default port is 465.
	ImplicitTLS
	// InsecurePlaintext never uses TLS: messages, codes and links cross
	// the network in clear, and the server is not authenticated. For
	// development servers only. Credentials, if configured, are sent only
	// to a loopback address. The default port is 25.
	InsecurePlaintext
)

// String returns the mode's name.
func (m TLSMode) String() string {
	switch m {
	case STARTTLS:
		return "STARTTLS"
	case ImplicitTLS:
		return "ImplicitTLS"
	case InsecurePlaintext:
		return "InsecurePlaintext"
	}
	return "TLSMode(" + strconv.Itoa(int(m)) + ")"
}

// Config configures a Sender. Host and From are required.
type Config struct {
	// Host is the server's name or IP address. It is also the name the
	// server's TLS certificate is verified against, unless
	// TLSConfig.ServerName says otherwise.
	Host string

	// Port defaults to 587 for STARTTLS, 465 for ImplicitTLS and 25 for
	// InsecurePlaintext.
	Port int

	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN (or AUTH LOGIN when the server offers only that). A server
	// that does not offer AUTH is then an error, not a reason to skip it.
	Username string
	Password string

	// From is the default author of every message whose From is empty,
	// e.g. "Example <no-reply@example.com>". Its address is also the
	// envelope sender and its domain names the Message-ID.
	From string

	// TLS is the transport security; the zero value is STARTTLS.
	TLS TLSMode

	// TLSConfig overrides the TLS settings, e.g. RootCAs for a private CA.
	// It is cloned; ServerName defaults to Host and MinVersion to TLS 1.2.
	TLSConfig *tls.Config

	// Timeout bounds one whole Send (dial, TLS, every command and the
	// data); a shorter deadline on the context wins. Default 30 s.
	Timeout time.Duration

	// HeloName is the name sent in EHLO. Default "localhost", which
	// submission servers accept; a relay that checks it needs this
	// machine's public name.
	HeloName string
}

// ErrConfig is wrapped by the error of every Send of a Sender whose Config
// is invalid, and by Config.Validate.
var ErrConfig = errors.New("smtpmail: invalid config")

// ErrNoSTARTTLS is returned when the mode is STARTTLS and the server does
// not offer it: either it cannot do TLS or someone on the path removed the
// offer. Nothing has been sent.
var ErrNoSTARTTLS = errors.New("smtpmail: server does not offer STARTTLS")

// ErrPlaintextAuth is returned instead of sending credentials over an
// unencrypted connection to a host that is not a loopback address.
var ErrPlaintextAuth = errors.New("smtpmail: refusing to send credentials without TLS")

// Validate reports whether the Config can be used, without connecting.
// New calls it; Send returns its error.
func (c Config) Validate() error {
	var errs []error
	if c.Host == "" || strings.ContainsAny(c.Host, " \t\r\n\x00/") {
		errs = append(errs, errors.New("the Host is empty or malformed"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, errors.New("the Port is out of range"))
	}
	if err := mail.ValidateAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("the From address: %w", err))
	}
	if c.TLS < STARTTLS || c.TLS > InsecurePlaintext {
		errs = append(errs, fmt.Errorf("unknown TLS mode %v", c.TLS))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("negative Timeout"))
	}
	if strings.ContainsAny(c.HeloName, " \t\r\n\x00") {
		errs = append(errs, errors.New("the HeloName contains white space or a control character"))
	}
	if c.Username == "" && c.Password != "" {
		errs = append(errs, errors.New("a Password is set without a Username"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

// Sender submits messages over SMTP. It is safe for concurrent use: each
// Send uses its own connection.
type Sender struct {
	cfg  Config
	from *netmail.Address
	err  error // from Config.Validate, returned by every Send

	// dial is net.Dialer.DialContext; tests replace it to reach a local
	// server under a remote name.
	dial func(d *net.Dialer, ctx context.Context, network, addr string) (net.Conn, error)
}

var _ mail.Sender = (*Sender)(nil)

// New returns a Sender for cfg, with defaults applied. It does not
// connect. An invalid cfg is reported by every Send (so New can be used
// inline in a latch.Config); call cfg.Validate first to fail at start-up.
func New(cfg Config) *Sender {
	s := &Sender{cfg: cfg, err: cfg.Validate(), dial: (*net.Dialer).DialContext}
	if s.err != nil {
		return s
	}
	s.from, _ = mail.ParseAddress(cfg.From)
	if s.cfg.Port == 0 {
		s.cfg.Port = map[TLSMode]int{STARTTLS: 587, ImplicitTLS: 465, InsecurePlaintext: 25}[cfg.TLS]
	}
	if s.cfg.Timeout == 0 {
		s.cfg.Timeout = 30 * time.Second
	}
	if s.cfg.HeloName == "" {
		s.cfg.HeloName = "localhost"
	}
	var tc *tls.Config
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	s.cfg.TLSConfig = tc
	return s
}

// Send validates m, builds it, and submits it in one SMTP session. It
// returns nil only once the server has accepted the message data. Errors
// are wrapped: mail.ErrInvalidMessage for a message that can never be
// sent, ErrConfig, ErrNoSTARTTLS, ErrPlaintextAuth, ctx.Err() when the
// context ended, and *textproto.Error (with the server's reply code; 4xx
// is temporary) for a refusal by the server.
func (s *Sender) Send(ctx context.Context, m *mail.Message) error {
	if s.err != nil {
		return s.err
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("smtpmail: %w", err)
	}
	from := s.from
	if m.From != "" {
		from, _ = mail.ParseAddress(m.From) // validated above
	}
	to, _ := mail.ParseAddress(m.To)
	data, err := build(from, to, m, time.Now())
	if err != nil {
		return fmt.Errorf("smtpmail: building the message: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smtpmail: %w", err)
	}
	return s.submit(ctx, from.Address, to.Address, data)
}

// submit runs one SMTP session.
func (s *Sender) submit(ctx context.Context, from, to string, data []byte) (err error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	deadline := time.Now().Add(s.cfg.Timeout)
	ctxDeadline := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxDeadline = d, true
	}
	step := "dial"
	// wrap names the step that failed and, when the context ended, says so
	// in a way errors.Is sees: the I/O error alone would read "i/o timeout".
	// The connection's deadline can fire a moment before the context's
	// timer, hence the second case.
	wrap := func(err error) error {
		cerr := ctx.Err()
		var ne net.Error
		if cerr == nil && ctxDeadline && errors.As(err, &ne) && ne.Timeout() {
			cerr = context.DeadlineExceeded
		}
		if cerr != nil {
			return fmt.Errorf("smtpmail: %s %s: %w: %w", step, addr, cerr, err)
		}
		return fmt.Errorf("smtpmail: %s %s: %w", step, addr, err)
	}

	dialer := net.Dialer{Deadline: deadline}
	conn, err := s.dial(&dialer, ctx, "tcp", addr)
	if err != nil {
		return wrap(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return wrap(err)
	}
	// Cancelling ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if s.cfg.TLS == ImplicitTLS {
		step = "TLS handshake with"
		tc := tls.Client(conn, s.cfg.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return wrap(err)
		}
		conn = tc
	}
	step = "greeting from"
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return wrap(err)
	}
	defer c.Close()
	step = "EHLO to"
	if err := c.Hello(s.cfg.HeloName); err != nil {
		return wrap(err)
	}
	if s.cfg.TLS == STARTTLS {
		step = "STARTTLS with"
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return wrap(ErrNoSTARTTLS)
		}
		if err := c.StartTLS(s.cfg.TLSConfig); err != nil {
			return wrap(err)
		}
	}
	if s.cfg.Username != "" {
		step = "AUTH with"
		if err := s.auth(c); err != nil {
			return wrap(err)
		}
	}
	step = "MAIL FROM to"
	if err := c.Mail(from); err != nil {
		return wrap(err)
	}
	step = "RCPT TO to"
	if err := c.Rcpt(to); err != nil {
		return wrap(err)
	}
	step = "DATA to"
	w, err := c.Data()
	if err != nil {
		return wrap(err)
	}
	if _, err := w.Write(data); err != nil {
		return wrap(err)
	}
	// Close sends the final "." and waits for the server's verdict: this is
	// the one point at which the message counts as sent.
	if err := w.Close(); err != nil {
		return wrap(err)
	}
	// The message is accepted; a failed QUIT changes nothing for it.
	_ = c.Quit()
	return nil
}

// auth authenticates with the best mechanism the server offers, never
// over plaintext to a remote host.
func (s *Sender) auth(c *smtp.Client) error {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !isLoopback(s.cfg.Host) {
		return ErrPlaintextAuth
	}
	ok, params := c.Extension("AUTH")
	if !ok {
		return errors.New("server does not offer AUTH but credentials are configured")
	}
	mechs := strings.Fields(strings.ToUpper(params))
	var a smtp.Auth
	switch {
	case contains(mechs, "PLAIN"):
		a = smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)
	case contains(mechs, "LOGIN"):
		a = &loginAuth{user: s.cfg.Username, pass: s.cfg.Password, host: s.cfg.Host}
	default:
		return fmt.Errorf("server offers no supported AUTH mechanism (PLAIN, LOGIN) among %q", params)
	}
	return c.Auth(a)
}

// loginAuth is the AUTH LOGIN mechanism (draft-murchison-sasl-login),
// which some servers offer instead of PLAIN. net/smtp does not have it.
type loginAuth struct {
	user, pass, host string
}

// Start begins the exchange, refusing it without TLS to a remote host.
func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, ErrPlaintextAuth
	}
	if server.Name != a.host {
		return "", nil, errors.New("smtpmail: wrong host name")
	}
	return "LOGIN", nil, nil
}

// Next answers the server's "Username:" and "Password:" prompts.
func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	prompt := strings.ToLower(strings.TrimSpace(string(fromServer)))
	switch {
	case strings.HasPrefix(prompt, "user"):
		return []byte(a.user), nil
	case strings.HasPrefix(prompt, "pass"):
		return []byte(a.pass), nil
	}
	return nil, errors.New("smtpmail: unexpected AUTH LOGIN prompt")
}

// isLoopback reports whether host names this machine, the one place a
// development server may take credentials without TLS.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
