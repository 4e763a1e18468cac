// Latch's WebAuthn script: runs passkey and security key ceremonies for
// plain HTML forms. No dependencies, no inline handlers (it works under
// script-src 'self'). Served by the kernel; see components.WebAuthnScript.
//
// Forms: <form data-latch-webauthn="get|create" data-options="{JSON}">
// holding <input type="hidden" name="credential">. On submit the script
// asks the browser for a credential with the options (as the server's
// WebAuthn library writes them: {"publicKey":{…}}, binary fields in
// base64url), puts the result, as JSON, in the hidden field and submits the
// form. A failure shows a message in the form's [data-latch-webauthn-error]
// element (its data-message, or the script's own wording). Without
// JavaScript the form posts no credential and the server says so.
//
// One click: a form with data-latch-passkey-signin="/v1/client/sign_ins"
// (the sign-in card's "Sign in with a passkey") starts a passkey sign-in
// through the JSON API when it is sent, asks the browser for a passkey and
// signs in with it, then goes on as autofill does. Without the script, or
// without WebAuthn, the form posts and the page asks for the passkey.
//
// Autofill: an <input autocomplete="username webauthn"
// data-latch-passkey-start="/v1/client/sign_ins"> makes the browser offer
// passkeys among the field's suggestions; choosing one signs in through the
// JSON API, then goes to data-latch-redirect (or "/"), or to the sign-in
// page when a second step is needed.
(function () {
	"use strict";

	var messages = {
		en: "The request was cancelled or could not be completed. Try again.",
		fr: "La demande a été annulée ou n'a pas pu aboutir. Réessayez.",
	};

	// The conditional (autofill) request in flight, aborted when the user
	// clicks a button instead: a browser runs one request at a time.
	var autofill = null;

	function supported() {
		return !!(window.PublicKeyCredential && navigator.credentials);
	}

	function fromB64(s) {
		s = String(s).replace(/-/g, "+").replace(/_/g, "/");
		while (s.length % 4) {
			s += "=";
		}
		var bin = atob(s);
		var out = new Uint8Array(bin.length);
		for (var i = 0; i < bin.length; i++) {
			out[i] = bin.charCodeAt(i);
		}
		return out.buffer;
	}

	function toB64(buf) {
		var bytes = ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf);
		var bin = "";
		for (var i = 0; i < bytes.length; i++) {
			bin += String.fromCharCode(bytes[i]);
		}
		return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
	}

	function decodeDescriptors(list) {
		if (!list) {
			return list;
		}
		return list.map(function (d) {
			var c = Object.assign({}, d);
			c.id = fromB64(d.id);
			return c;
		});
	}

	// publicKeyOptions turns the JSON options into what the browser takes:
	// the same dictionary with its binary members as ArrayBuffers.
	function publicKeyOptions(json, mode) {
		var pk = Object.assign({}, json.publicKey || json);
		pk.challenge = fromB64(pk.challenge);
		if (mode === "create") {
			pk.user = Object.assign({}, pk.user);
			pk.user.id = fromB64(pk.user.id);
			pk.excludeCredentials = decodeDescriptors(pk.excludeCredentials);
		} else {
			pk.allowCredentials = decodeDescriptors(pk.allowCredentials);
		}
		return pk;
	}

	// plain makes client extension results JSON: binary values become
	// base64url, as everything else in the credential.
	function plain(v) {
		if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
			return toB64(v);
		}
		if (Array.isArray(v)) {
			return v.map(plain);
		}
		if (v && typeof v === "object") {
			var o = {};
			Object.keys(v).forEach(function (k) {
				o[k] = plain(v[k]);
			});
			return o;
		}
		return v;
	}

	// credentialJSON serializes a PublicKeyCredential the way the server's
	// parser reads it (the WebAuthn JSON encoding, base64url). It is built
	// by hand rather than with toJSON, which some password managers'
	// credentials lack or get wrong.
	function credentialJSON(cred) {
		var r = cred.response;
		var out = {
			id: cred.id,
			rawId: toB64(cred.rawId),
			type: cred.type,
			clientExtensionResults: plain(cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}),
			response: { clientDataJSON: toB64(r.clientDataJSON) },
		};
		if (cred.authenticatorAttachment) {
			out.authenticatorAttachment = cred.authenticatorAttachment;
		}
		if (r.attestationObject) {
			out.response.attestationObject = toB64(r.attestationObject);
			if (typeof r.getTransports === "function") {
				out.response.transports = r.getTransports();
			}
		} else {
			out.response.authenticatorData = toB64(r.authenticatorData);
			out.response.signature = toB64(r.signature);
			if (r.userHandle && r.userHandle.byteLength) {
				out.response.userHandle = toB64(r.userHandle);
			}
		}
		return out;
	}

	function showError(form, err) {
		if (window.console && err) {
			console.warn("latch: WebAuthn:", err.name || err, err.message || "");
		}
		var el = form && form.querySelector("[data-latch-webauthn-error]");
		if (!el) {
			return;
		}
		var lang = (document.documentElement.lang || "en").slice(0, 2).toLowerCase();
		el.textContent = el.getAttribute("data-message") || messages[lang] || messages.en;
		el.hidden = false;
	}

	function stopAutofill() {
		if (autofill) {
			autofill.abort();
			autofill = null;
		}
	}

	function ceremony(form) {
		var mode = form.getAttribute("data-latch-webauthn");
		var options = JSON.parse(form.getAttribute("data-options") || "{}");
		var pk = publicKeyOptions(options, mode);
		stopAutofill();
		return mode === "create" ? navigator.credentials.create({ publicKey: pk }) : navigator.credentials.get({ publicKey: pk });
	}

	function onSubmit(event) {
		var form = event.target;
		if (form instanceof HTMLFormElement && form.hasAttribute("data-latch-passkey-signin") && supported()) {
			event.preventDefault();
			passkeySignIn(form);
			return;
		}
		if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-latch-webauthn")) {
			return;
		}
		event.preventDefault();
		if (form.getAttribute("data-latch-busy")) {
			return; // one ceremony at a time
		}
		if (!supported()) {
			showError(form, new Error("WebAuthn is not supported by this browser"));
			return;
		}
		var field = form.querySelector('input[name="credential"]');
		var error = form.querySelector("[data-latch-webauthn-error]");
		if (error) {
			error.hidden = true;
		}
		form.setAttribute("data-latch-busy", "1");
		var p;
		try {
			p = ceremony(form);
		} catch (err) {
			p = Promise.reject(err);
		}
		p.then(function (cred) {
			if (!cred) {
				throw new Error("no credential");
			}
			if (field) {
				field.value = JSON.stringify(credentialJSON(cred));
			}
			// submit() sends the form without firing this handler again.
			form.submit();
		}).catch(function (err) {
			// NotAllowedError: the user cancelled, or the request timed out.
			showError(form, err);
		}).then(function () {
			form.removeAttribute("data-latch-busy");
		});
	}

	function postJSON(url, body) {
		return fetch(url, {
			method: "POST",
			credentials: "same-origin",
			headers: { "Content-Type": "application/json", "Accept": "application/json" },
			body: JSON.stringify(body),
		}).then(function (res) {
			return res.json().then(function (data) {
				if (!res.ok) {
					throw new Error((data && data.errors && data.errors[0] && data.errors[0].message) || "HTTP " + res.status);
				}
				return data;
			});
		});
	}

	// finish sends the credential cred for the passkey sign-in signIn
	// (started at start) and goes where el's data attributes say: the app
	// when signed in, the sign-in page when a second step is needed.
	function finish(start, signIn, cred, el) {
		var url = start.replace(/\/+$/, "") + "/" + encodeURIComponent(signIn.id) + "/attempt_first_factor";
		return postJSON(url, { strategy: "passkey", credential: credentialJSON(cred) }).then(function (res) {
			if (res.status === "complete") {
				window.location.assign(el.getAttribute("data-latch-redirect") || "/");
			} else if (res.status === "needs_second_factor") {
				var page = el.getAttribute("data-latch-sign-in-url") || "/sign-in";
				window.location.assign(page + "?sign_in_id=" + encodeURIComponent(res.id));
			}
		});
	}

	// passkeySignIn runs a whole passkey sign-in for the button's form.
	function passkeySignIn(form) {
		if (form.getAttribute("data-latch-busy")) {
			return; // one ceremony at a time
		}
		form.setAttribute("data-latch-busy", "1");
		var error = form.querySelector("[data-latch-webauthn-error]");
		if (error) {
			error.hidden = true;
		}
		var start = form.getAttribute("data-latch-passkey-signin");
		var signIn;
		stopAutofill();
		postJSON(start, { strategy: "passkey" }).then(function (si) {
			signIn = si;
			var v = si.first_factor_verification;
			if (!v || !v.options) {
				throw new Error("no passkey options");
			}
			return navigator.credentials.get({ publicKey: publicKeyOptions(v.options, "get") });
		}).then(function (cred) {
			if (!cred) {
				throw new Error("no credential");
			}
			return finish(start, signIn, cred, form);
		}).catch(function (err) {
			showError(form, err);
		}).then(function () {
			form.removeAttribute("data-latch-busy");
		});
	}

	// conditional offers passkeys in input's autofill, and signs in with
	// the one chosen.
	function conditional(input, retries) {
		var start = input.getAttribute("data-latch-passkey-start");
		var signIn;
		postJSON(start, { strategy: "passkey" }).then(function (si) {
			signIn = si;
			var v = si.first_factor_verification;
			if (!v || !v.options) {
				throw new Error("no passkey options");
			}
			autofill = new AbortController();
			return navigator.credentials.get({ mediation: "conditional", publicKey: publicKeyOptions(v.options, "get"), signal: autofill.signal });
		}).then(function (cred) {
			autofill = null;
			if (!cred) {
				return null;
			}
			return finish(start, signIn, cred, input).then(function () {
				return null;
			}, function (err) {
				// The server refused the passkey: say so, and offer them
				// again (a new sign-in, a new challenge).
				showError(input.form, err);
				if (retries > 0) {
					conditional(input, retries - 1);
				}
				return null;
			});
		}).catch(function (err) {
			autofill = null;
			if (err && err.name === "AbortError") {
				return; // a button started a ceremony instead
			}
			if (window.console) {
				console.warn("latch: passkey autofill:", err && (err.message || err.name));
			}
		});
	}

	function setUpAutofill() {
		var input = document.querySelector('input[data-latch-passkey-start][autocomplete~="webauthn"]');
		if (!input || !supported() || typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") {
			return;
		}
		PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
			if (ok) {
				conditional(input, 3);
			}
		}, function () {});
	}

	document.addEventListener("submit", onSubmit);
	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", setUpAutofill);
	} else {
		setUpAutofill();
	}
})();
