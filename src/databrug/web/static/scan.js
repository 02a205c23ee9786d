// Camera QR scan: the browser's BarcodeDetector where it exists, else the vendored ZXing reader.
// Without JavaScript, or without a camera, the typed link code on the same page does the same.
// Texts come from the page (data-* attributes and hidden blocks rendered from the message catalogue).
(function () {
  "use strict";
  var button = document.getElementById("start-camera");
  var box = document.getElementById("scanner");
  var video = document.getElementById("camera");
  var status = document.getElementById("scan-status");
  var form = document.getElementById("pair-form");
  var field = document.getElementById("pair-code");
  var denied = document.getElementById("camera-denied");
  var missing = document.getElementById("camera-missing");
  if (!button || !box || !video || !form || !field) { return; }

  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var done = false;

  function show(block) {
    box.hidden = true;
    status.textContent = "";
    block.hidden = false;
    block.focus();
  }

  function pairingLink(text) {
    // Only the pairing token is taken from a link and posted here: a QR code is never followed.
    try {
      var url = new URL(text);
      var token = url.searchParams.get("t");
      if (url.pathname === "/app/pair" && token && token.indexOf("dbq_") === 0) { return token; }
    } catch (e) { /* not a link */ }
    return null;
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
  }

  function found(token) {
    done = true;
    stop();
    status.textContent = status.dataset.found;
    field.value = token;
    form.submit();
  }

  function zxingDecode() {
    if (!window.ZXing || !video.videoWidth) { return null; }
    var width = video.videoWidth, height = video.videoHeight;
    var scale = Math.min(1, 800 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    try {
      var source = new window.ZXing.HTMLCanvasElementLuminanceSource(canvas);
      var bitmap = new window.ZXing.BinaryBitmap(new window.ZXing.HybridBinarizer(source));
      var hints = new Map();
      hints.set(window.ZXing.DecodeHintType.TRY_HARDER, true);
      return new window.ZXing.QRCodeReader().decode(bitmap, hints).getText();
    } catch (e) {
      return null; // no QR code in this frame
    }
  }

  function detector() {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }).catch(function () { return null; });
  }

  function scan(native) {
    if (done) { return; }
    var next = function (text) {
      var token = text && pairingLink(text);
      if (token) { found(token); } else { setTimeout(function () { scan(native); }, 200); }
    };
    if (native && video.readyState >= 2) {
      native.detect(video).then(function (codes) {
        next(codes.length ? codes[0].rawValue : null);
      }).catch(function () { next(zxingDecode()); });
    } else {
      next(zxingDecode());
    }
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { show(missing); return; }
    denied.hidden = true;
    missing.hidden = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        box.hidden = false;
        button.hidden = true;
        status.textContent = status.dataset.looking;
        video.srcObject = media;
        return video.play().then(detector);
      })
      .then(function (native) { scan(native); })
      .catch(function (error) {
        stop();
        var name = error && error.name;
        show(name === "NotFoundError" || name === "OverconstrainedError" ? missing : denied);
      });
  }

  button.hidden = false;
  button.addEventListener("click", start);
  window.addEventListener("pagehide", stop);
})();
