// Passkeys / security keys (WebAuthn) for Qualitas. Served from our origin (the CSP allows
// no inline script and no eval). A form marked data-passkey="create" or "get" gets, when
// its [data-passkey-start] button is pressed, options from data-passkey-options (POST, CSRF
// token from the form), asks the browser's authenticator, writes the answer as JSON into the
// hidden field named by data-passkey-field and submits the form; the server verifies it.
(function () {
  "use strict";

  function fromB64url(value) {
    const b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "===".slice((b64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function toB64url(buffer) {
    if (!buffer) return null;
    let text = "";
    new Uint8Array(buffer).forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map((d) => Object.assign({}, d, { id: fromB64url(d.id) }));
  }

  function creationOptions(o) {
    return Object.assign({}, o, {
      challenge: fromB64url(o.challenge),
      user: Object.assign({}, o.user, { id: fromB64url(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials),
    });
  }

  function requestOptions(o) {
    return Object.assign({}, o, {
      challenge: fromB64url(o.challenge),
      allowCredentials: descriptors(o.allowCredentials),
    });
  }

  function serialise(cred) {
    const r = cred.response;
    const response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      response.userHandle = toB64url(r.userHandle);
    }
    return JSON.stringify({
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: response,
    });
  }

  function showError(form, text) {
    const box = form.querySelector("[data-passkey-error]");
    if (box) {
      box.textContent = text;
      box.hidden = false;
    }
  }

  async function run(form) {
    if (!window.PublicKeyCredential) {
      showError(form, "This browser does not support passkeys or security keys.");
      return;
    }
    const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    const reply = await fetch(form.dataset.passkeyOptions, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    });
    if (!reply.ok) {
      showError(form, "Could not start: reload the page and try again.");
      return;
    }
    const options = await reply.json();
    let cred;
    try {
      cred = form.dataset.passkey === "create"
        ? await navigator.credentials.create({ publicKey: creationOptions(options) })
        : await navigator.credentials.get({ publicKey: requestOptions(options) });
    } catch (err) {
      showError(form, "The security key did not answer (cancelled or timed out). Try again.");
      return;
    }
    form.querySelector(`[name="${form.dataset.passkeyField}"]`).value = serialise(cred);
    form.submit();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-passkey-start]");
    if (!button) return;
    const form = button.closest("form[data-passkey]");
    if (!form) return;
    event.preventDefault();
    run(form);
  });
})();
