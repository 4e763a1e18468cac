package latch

import (
	"errors"
	"net/http"

	"github.com/latchauth/latch/storage"
)

// Error is the one error type Latch returns to applications and shows to
// end users. Code is stable (applications and front ends switch on it),
// Message is safe to show to the person using the app, Status is the HTTP
// status the JSON API answers with, and Field names the form field concerned
// ("" when none). The cause, which may hold internals, is kept for logs and
// errors.Is but never rendered.
//
// Compare with errors.Is against the sentinels below: two *Error values are
// the same error when their codes are equal, whatever the field or message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"-"`
	Field   string `json:"field,omitempty"`
	cause   error
}

// Error returns the code and the user-safe message; the cause stays out so
// that printing an *Error never leaks internals.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause, for logs and errors.Is/As.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// WithField returns a copy of e that names the form field concerned.
func (e *Error) WithField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// WithMessage returns a copy of e with another user-safe message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// wrap returns a copy of e that carries cause for logs and errors.Is.
func (e *Error) wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// The errors Latch returns. Codes are part of the API and never change.
var (
	// ErrInvalid: the request is malformed in a way no field explains.
	ErrInvalid = &Error{Code: "invalid_request", Message: "The request is invalid.", Status: http.StatusBadRequest}
	// ErrBodyTooLarge: the request body is larger than the route takes
	// (every route bounds its body, most at 64 KiB).
	ErrBodyTooLarge = &Error{Code: "request_body_too_large", Message: "The request is too large.", Status: http.StatusRequestEntityTooLarge}
	// ErrUnsupportedMediaType: the body is of a kind the route does not
	// read, such as multipart/form-data, which no route of Latch takes.
	ErrUnsupportedMediaType = &Error{Code: "unsupported_media_type", Message: "Send a JSON body or an HTML form.", Status: http.StatusUnsupportedMediaType}
	// ErrNotFound: the user, identifier or other resource addressed does
	// not exist (or the caller may not know whether it does).
	ErrNotFound = &Error{Code: "resource_not_found", Message: "Not found.", Status: http.StatusNotFound}
	// ErrConflict: another request changed the resource at the same time;
	// retrying is safe.
	ErrConflict = &Error{Code: "conflict", Message: "Someone changed this at the same time. Please try again.", Status: http.StatusConflict}
	// ErrUnavailable: a dependency (the database, a mail server) failed.
	// Latch fails closed: nobody is signed in by an error.
	ErrUnavailable = &Error{Code: "service_unavailable", Message: "Something went wrong on our side. Please try again.", Status: http.StatusServiceUnavailable}

	// ErrSignedOut: the request needs a signed-in session and has none (or
	// its session ended).
	ErrSignedOut = &Error{Code: "signed_out", Message: "You are signed out. Sign in to continue.", Status: http.StatusUnauthorized}
	// ErrForbidden: the session lacks the role, permission, plan or feature
	// the route requires.
	ErrForbidden = &Error{Code: "forbidden", Message: "You do not have access to this.", Status: http.StatusForbidden}
	// ErrReverificationRequired: the route needs a factor verified more
	// recently than this session's.
	ErrReverificationRequired = &Error{Code: "session_reverification_required", Message: "Confirm it is you to continue.", Status: http.StatusForbidden}
	// ErrUserBanned: the account is banned and cannot sign in.
	ErrUserBanned = &Error{Code: "user_banned", Message: "This account cannot sign in.", Status: http.StatusForbidden}
	// ErrTokenInvalid: a refresh token or ticket is unknown, used or expired.
	ErrTokenInvalid = &Error{Code: "token_invalid", Message: "This link or token is no longer valid.", Status: http.StatusUnauthorized}

	// ErrFlowExpired: the sign-in or sign-up took too long; start again.
	ErrFlowExpired = &Error{Code: "flow_expired", Message: "This took too long. Please start again.", Status: http.StatusGone}
	// ErrFlowStep: the request does not fit the step the flow is at.
	ErrFlowStep = &Error{Code: "flow_step_invalid", Message: "That step is not available now.", Status: http.StatusConflict}
	// ErrStrategyNotAllowed: the strategy is not enabled, or not available
	// at this step.
	ErrStrategyNotAllowed = &Error{Code: "strategy_not_allowed", Message: "That way of signing in is not available.", Status: http.StatusUnprocessableEntity, Field: "strategy"}
	// ErrLastSecondFactor: removing this factor would leave a user whom a
	// policy requires to have a second factor without one. Every plugin
	// answers with it.
	ErrLastSecondFactor = &Error{Code: "last_second_factor", Message: "Two-step verification is required for your account. Set up another method before removing this one.", Status: http.StatusUnprocessableEntity}
	// ErrCodeIncorrect: the verification code is wrong.
	ErrCodeIncorrect = &Error{Code: "form_code_incorrect", Message: "That code is incorrect.", Status: http.StatusUnprocessableEntity, Field: "code"}
	// ErrCodeExpired: the code expired, was used, or has no attempts left.
	ErrCodeExpired = &Error{Code: "verification_expired", Message: "This code has expired or was used too many times. Ask for a new one.", Status: http.StatusUnprocessableEntity, Field: "code"}
	// ErrPasswordIncorrect: the identifier and password do not match. It
	// is also the answer for an unknown identifier, so that it reveals
	// nothing about which accounts exist.
	ErrPasswordIncorrect = &Error{Code: "form_password_incorrect", Message: "That password is incorrect, or there is no such account.", Status: http.StatusUnprocessableEntity, Field: "password"}
	// ErrPasswordRejected: the new password breaks the password policy;
	// the message says why.
	ErrPasswordRejected = &Error{Code: "form_password_rejected", Message: "Choose another password.", Status: http.StatusUnprocessableEntity, Field: "password"}
	// ErrFieldRequired: a required field is missing.
	ErrFieldRequired = &Error{Code: "form_param_missing", Message: "This field is required.", Status: http.StatusUnprocessableEntity}
	// ErrIdentifierInvalid: the identifier is none of an email address,
	// phone number or username that sign-in accepts.
	ErrIdentifierInvalid = &Error{Code: "form_identifier_invalid", Message: "Enter your email address, phone number or username.", Status: http.StatusUnprocessableEntity, Field: "identifier"}
	// ErrRedirectNotAllowed: a redirect_url outside the allowed origins.
	ErrRedirectNotAllowed = &Error{Code: "redirect_url_not_allowed", Message: "That redirect is not allowed.", Status: http.StatusBadRequest, Field: "redirect_url"}

	// ErrEmailInvalid: not an email address Latch accepts.
	ErrEmailInvalid = &Error{Code: "form_email_address_invalid", Message: "Enter a valid email address.", Status: http.StatusUnprocessableEntity, Field: "email_address"}
	// ErrPhoneInvalid: not a phone number in international (E.164) form.
	ErrPhoneInvalid = &Error{Code: "form_phone_number_invalid", Message: "Enter a phone number in international format, such as +15555550100.", Status: http.StatusUnprocessableEntity, Field: "phone_number"}
	// ErrUsernameInvalid: the username breaks the username rules.
	ErrUsernameInvalid = &Error{Code: "form_username_invalid", Message: "Usernames are 3 to 64 letters, digits, dots, dashes or underscores.", Status: http.StatusUnprocessableEntity, Field: "username"}
	// ErrParamInvalid: a field is too long or of the wrong form.
	ErrParamInvalid = &Error{Code: "form_param_invalid", Message: "This value is not valid.", Status: http.StatusUnprocessableEntity}
	// ErrMetadataInvalid: metadata is not a JSON object or is too large.
	ErrMetadataInvalid = &Error{Code: "form_metadata_invalid", Message: "Metadata must be a JSON object of at most 8 KiB.", Status: http.StatusUnprocessableEntity}
	// ErrIdentifierExists: the email address, phone number or username
	// already belongs to an account. Flows where revealing that matters
	// never return it to an unauthenticated caller.
	ErrIdentifierExists = &Error{Code: "form_identifier_exists", Message: "That is already taken. Try another.", Status: http.StatusUnprocessableEntity}
	// ErrIdentifierUnverified: the operation needs a verified identifier.
	ErrIdentifierUnverified = &Error{Code: "identifier_not_verified", Message: "Verify this first.", Status: http.StatusUnprocessableEntity}
	// ErrPrimaryIdentifier: the primary email address or phone number
	// cannot be removed; make another one primary first.
	ErrPrimaryIdentifier = &Error{Code: "primary_identifier_cannot_be_removed", Message: "Make another one primary before removing this one.", Status: http.StatusUnprocessableEntity}
)

// asError returns err as an *Error, turning anything else into
// ErrUnavailable with err as its cause: an error Latch did not anticipate is
// an internal failure, and the person using the app must not see its text.
func asError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrUnavailable.wrap(err)
}

// ErrFactorUnexpected: the request carries a proof (a password, a code, a
// credential, a ticket) that the step did not ask for. It is refused, not
// ignored: a client that believes it proved a factor must never see a
// sign-in succeed without that proof being checked (SECURITY.md 12).
var ErrFactorUnexpected = &Error{Code: "factor_unexpected", Message: "This step does not take that. Send only what it asks for.", Status: http.StatusUnprocessableEntity}

// storageError maps the storage sentinels that a caller may see to *Error;
// anything else is an internal failure.
func storageError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return ErrNotFound.wrap(err)
	case errors.Is(err, storage.ErrStale):
		return ErrConflict.wrap(err)
	}
	return asError(err)
}

// conflictAs maps storage.ErrConflict to e and other errors as storageError.
func conflictAs(err error, e *Error) error {
	if errors.Is(err, storage.ErrConflict) {
		return e.wrap(err)
	}
	if errors.Is(err, storage.ErrStale) {
		return err // updateUser retries on it
	}
	return storageError(err)
}
