package botcheck

import "net/http"

// HoneypotField is the name of the honeypot form field. It is chosen to look
// like a field a form-filling bot wants to fill ("website") while matching no
// autocomplete token browsers recognise, so a human's browser leaves it
// empty.
//
// Render it in every sign-up and sign-in form, hidden from people but not
// with type="hidden" or display:none (bots skip those): move its wrapper off
// screen, hide it from assistive technology, take it out of the tab order and
// turn autofill off, as in HoneypotHTML.
const HoneypotField = "latch_website"

// HoneypotHTML is a ready-made honeypot for a form: an off-screen wrapper
// (position:absolute; left:-10000px) with aria-hidden="true", holding a text
// input named HoneypotField with tabindex="-1" and autocomplete="off" and a
// label telling the rare human who reaches it to leave it empty. It is a
// constant, safe to insert verbatim; a strict style-src CSP needs the style
// moved to a class in the app's stylesheet.
const HoneypotHTML = `<div aria-hidden="true" style="position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden">` +
	`<label for="` + HoneypotField + `">Leave this field empty</label>` +
	`<input type="text" id="` + HoneypotField + `" name="` + HoneypotField + `" value="" tabindex="-1" autocomplete="off">` +
	`</div>`

// HoneypotTripped reports whether the request carries HoneypotField with a
// non-empty value, in the query or the body: a sign that a bot filled the
// form. It parses the form if needed (ParseMultipartForm, so the caller
// should already have limited the body with http.MaxBytesReader); a body
// that fails to parse yields false, leaving the error to the handler's own
// parsing. A tripped honeypot should be answered like any other failure, not
// with a message that tells the bot what it did wrong.
func HoneypotTripped(r *http.Request) bool {
	// ParseMultipartForm is idempotent and runs ParseForm first, so
	// url-encoded bodies are parsed too (it then returns ErrNotMultipart).
	_ = r.ParseMultipartForm(1 << 20)
	for _, v := range r.Form[HoneypotField] {
		if v != "" {
			return true
		}
	}
	return false
}
