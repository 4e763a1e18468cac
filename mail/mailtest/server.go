package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	netmail "net/mail"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Config configures a Server. The zero value is a plaintext server that
// accepts mail from anyone, like a development mail catcher.
type Config struct {
	// STARTTLS offers STARTTLS with a self-signed certificate for
	// 127.0.0.1, ::1 and localhost; trust it with Server.ClientTLSConfig.
	STARTTLS bool

	// ImplicitTLS speaks TLS from the first byte (port 465 style), with the
	// same certificate. It takes precedence over STARTTLS.
	ImplicitTLS bool

	// RequireTLS refuses MAIL until the session is encrypted, as a
	// submission server should.
	RequireTLS bool

	// Username and Password, when Username is set, make AUTH required
	// before MAIL. The server offers AUTH only over TLS, unless neither
	// STARTTLS nor ImplicitTLS is set (then it offers it in plaintext).
	Username string
	Password string

	// AuthMechanisms are the mechanisms offered; default PLAIN. "LOGIN" is
	// also supported.
	AuthMechanisms []string

	// MaxMessageBytes bounds a message; default 10 MiB.
	MaxMessageBytes int64
}

// Received is one message as the server received and parsed it.
type Received struct {
	// EnvelopeFrom and EnvelopeTo are the SMTP MAIL FROM and RCPT TO
	// addresses.
	EnvelopeFrom string
	EnvelopeTo   []string

	// From and To are the addresses (without display name) of the From
	// and To header fields.
	From string
	To   string

	// Subject is the decoded Subject header.
	Subject string

	// Text and HTML are the decoded text/plain and text/html bodies, with
	// "\n" line endings; empty when the message has no such part.
	Text string
	HTML string

	// Header is the message's top-level header, undecoded.
	Header netmail.Header

	// Raw is the message exactly as received in DATA.
	Raw []byte

	// TLS reports whether the session was encrypted, and AuthUser who
	// authenticated it ("" when nobody did).
	TLS      bool
	AuthUser string

	// ParseErr is set when the message could not be parsed; the fields
	// above are then partly empty. WaitFor fails the test on it.
	ParseErr error
}

// Server is an SMTP server listening on 127.0.0.1 for one test. It stops
// when the test ends. It is safe for concurrent use.
type Server struct {
	// Addr is "host:port"; Host and Port are its parts.
	Addr string
	Host string
	Port int

	cfg  Config
	cert *x509.Certificate
	srv  *smtp.Server
	ln   net.Listener

	mu  sync.Mutex
	box mailbox[*Received]
}

// NewServer starts a plaintext server with no authentication.
func NewServer(t testing.TB) *Server {
	t.Helper()
	return NewServerWith(t, Config{})
}

// NewServerWith starts a server configured by cfg. It is closed by
// t.Cleanup.
func NewServerWith(t testing.TB, cfg Config) *Server {
	t.Helper()
	if len(cfg.AuthMechanisms) == 0 {
		cfg.AuthMechanisms = []string{sasl.Plain}
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = 10 << 20
	}
	s := &Server{cfg: cfg}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "mailtest.localhost"
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = 10
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.EnableSMTPUTF8 = true
	srv.AllowInsecureAuth = !cfg.STARTTLS && !cfg.ImplicitTLS
	srv.ErrorLog = discardLogger{}

	var tlsConfig *tls.Config
	if cfg.STARTTLS || cfg.ImplicitTLS {
		cert, leaf, err := selfSigned()
		if err != nil {
			t.Fatalf("mailtest: making a certificate: %v", err)
		}
		s.cert = leaf
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listening: %v", err)
	}
	if cfg.ImplicitTLS {
		ln = tls.NewListener(ln, tlsConfig)
	} else if cfg.STARTTLS {
		srv.TLSConfig = tlsConfig
	}
	s.srv, s.ln = srv, ln
	s.Addr = ln.Addr().String()
	host, port, _ := net.SplitHostPort(s.Addr)
	s.Host = host
	s.Port, _ = strconv.Atoi(port)

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns when Close is called
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return s
}

// Close stops the server, e.g. to test an SMTP outage. It is also called
// when the test ends; calling it twice is harmless.
func (s *Server) Close() error {
	err := s.srv.Close()
	// go-smtp closes only the listeners Serve has registered; closing ours
	// too stops a server closed before its goroutine got that far.
	if lerr := s.ln.Close(); err == nil && !errors.Is(lerr, net.ErrClosed) {
		err = lerr
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// ClientTLSConfig returns a client configuration that trusts the server's
// certificate (nil for a plaintext server), for smtpmail.Config.TLSConfig.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.cert == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.cert)
	return &tls.Config{RootCAs: pool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []*Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.box.all()
}

// Last returns the most recent message, or nil.
func (s *Server) Last() *Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.box.last()
}

// WaitFor returns the oldest message to the address to (an envelope
// recipient or the To header, compared without case) that no earlier
// WaitFor returned, waiting up to timeout for it. It fails the test when
// none arrives or the message could not be parsed.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) *Received {
	t.Helper()
	r, ok := s.box.wait(&s.mu, addrOf(to), timeout)
	if !ok {
		t.Fatalf("mailtest: no message to %s within %v (%d received)", to, timeout, len(s.Messages()))
	}
	if r.ParseErr != nil {
		t.Fatalf("mailtest: message to %s could not be parsed: %v\n%s", to, r.ParseErr, r.Raw)
	}
	return r
}

func (s *Server) add(r *Received) {
	to := []string{addrOf(r.To)}
	for _, rcpt := range r.EnvelopeTo {
		to = append(to, addrOf(rcpt))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.box.add(r, to...)
}

// session is one SMTP session.
type session struct {
	s        *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms offers AUTH only when the Config asks for it.
func (ss *session) AuthMechanisms() []string {
	if ss.s.cfg.Username == "" {
		return nil
	}
	return ss.s.cfg.AuthMechanisms
}

// Auth checks the configured credentials; an authorisation identity other
// than the user is refused.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if username != ss.s.cfg.Username || password != ss.s.cfg.Password {
			return smtp.ErrAuthFailed
		}
		ss.authUser = username
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return smtp.ErrAuthFailed
			}
			return check(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// Mail enforces RequireTLS and the need to authenticate, as a submission
// server does, before accepting a sender.
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.cfg.RequireTLS {
		if _, ok := ss.conn.TLSConnectionState(); !ok {
			return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
		}
	}
	if ss.s.cfg.Username != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

// Rcpt accepts every recipient: the server is a catch-all.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

// Data records and parses the message. A message that does not parse is
// still accepted, as a real server would, and its ParseErr set.
func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	rec := &Received{
		EnvelopeFrom: ss.from,
		EnvelopeTo:   append([]string(nil), ss.to...),
		Raw:          raw,
		TLS:          isTLS,
		AuthUser:     ss.authUser,
	}
	rec.ParseErr = parse(rec)
	ss.s.add(rec)
	return nil
}

// Reset forgets the envelope after RSET or a finished message.
func (ss *session) Reset() { ss.from, ss.to = "", nil }

// Logout has nothing to release.
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check    func(username, password string) error
	username string
	step     int
}

// Next prompts for the user name, then the password, then checks them.
func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	l.step++
	switch l.step {
	case 1:
		if response != nil { // an initial response carries the user name
			l.username = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.username = string(response)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.check(l.username, string(response))
	}
	return nil, true, errors.New("unexpected response")
}

// selfSigned makes a certificate valid for the loopback addresses, for one
// test run: nothing is written to disk.
func selfSigned() (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own root
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}

// discardLogger keeps go-smtp's connection errors out of test output.
type discardLogger struct{}

// Printf discards.
func (discardLogger) Printf(string, ...any) {}

// Println discards.
func (discardLogger) Println(...any) {}
