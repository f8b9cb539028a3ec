// Small enhancements; every page works without them.
"use strict";
(function () {
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-countdown")) - Date.now();
      if (isNaN(left)) return;
      if (left <= 0) { el.textContent = "the planned release date has passed"; return; }
      var d = Math.floor(left / 86400000), h = Math.floor(left / 3600000) % 24, m = Math.floor(left / 60000) % 60;
      el.textContent = d + " days " + h + " hours " + m + " minutes to go";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();

// Signing terms with the person's own Ed25519 key (WebCrypto). The key file
// is read here and never leaves the page; only the signature is posted.
(function () {
  var DOMAIN = "preflight.terms.v1\n";
  function b64ToBytes(b64) {
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function bytesToB64(bytes) {
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
  }
  function pemToDer(pem) {
    var body = pem.replace(/-----BEGIN [^-]+-----/, "").replace(/-----END [^-]+-----/, "").replace(/\s+/g, "");
    return b64ToBytes(body);
  }
  // WebCrypto takes Ed25519 keys as PKCS#8 version 1; key files may be
  // version 2 (RFC 5958, with the public key). Both hold the 32-byte seed as
  // OCTET STRING (04 20 ...) inside the privateKey OCTET STRING (04 22 ...).
  function pkcs8v1(der) {
    for (var i = 0; i + 36 <= der.length; i++) {
      if (der[i] === 0x04 && der[i + 1] === 0x22 && der[i + 2] === 0x04 && der[i + 3] === 0x20) {
        var prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        var out = new Uint8Array(48);
        out.set(prefix, 0);
        out.set(der.subarray(i + 4, i + 36), 16);
        return out;
      }
    }
    throw new Error("the key file does not hold an Ed25519 private key");
  }
  async function sign(form) {
    var status = form.querySelector("[data-sign-status]");
    var file = form.querySelector("input[type=file]").files[0];
    if (!file) throw new Error("choose your key file");
    var payload = b64ToBytes(form.getAttribute("data-payload"));
    var expected = new TextEncoder().encode(DOMAIN + form.getAttribute("data-canonical"));
    if (payload.length !== expected.length || payload.some(function (b, i) { return b !== expected[i]; })) {
      throw new Error("the server's signing payload is not the document shown: refusing to sign");
    }
    var key = await crypto.subtle.importKey("pkcs8", pkcs8v1(pemToDer(await file.text())), { name: "Ed25519" }, false, ["sign"]);
    var signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, payload));
    form.querySelector("input[name=signature]").value = bytesToB64(signature);
    if (status) status.textContent = "Signed in this browser; sending the signature.";
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-sign-terms")) return;
    if (form.querySelector("input[name=signature]").value) return;
    event.preventDefault();
    sign(form).then(function () { form.submit(); }, function (err) {
      var status = form.querySelector("[data-sign-status]");
      if (status) status.textContent = "Not signed: " + (err.message || err.name);
    });
  });
})();
