// Camera QR scan with the browser's BarcodeDetector where available; the typed form is the fallback.
(function () {
  "use strict";
  var button = document.getElementById("start-camera");
  var box = document.getElementById("scanner");
  var video = document.getElementById("camera");
  var status = document.getElementById("scan-status");
  var form = document.getElementById("pair-form");
  var field = document.getElementById("pair-code");
  if (!button || !box || !video) { return; }
  function tokenFrom(text) {
    try { return new URL(text).searchParams.get("t") || text; } catch (e) { return text; }
  }
  button.addEventListener("click", function () {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
      status.textContent = button.dataset.unsupported || "";
      box.hidden = false;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      box.hidden = false;
      video.srcObject = stream;
      video.play();
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            field.value = tokenFrom(codes[0].rawValue);
            form.submit();
          } else { requestAnimationFrame(tick); }
        }).catch(function () { requestAnimationFrame(tick); });
      };
      tick();
    }).catch(function () { box.hidden = false; status.textContent = button.dataset.denied || ""; });
  });
})();
