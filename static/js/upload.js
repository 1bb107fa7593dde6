// Progressive enhancement: send the archive with XMLHttpRequest to show upload progress,
// then follow the server's redirect to the import's own progress page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var bar = document.getElementById("upload-progress");
  var label = document.getElementById("upload-label");
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input.files.length) return; // let the server say what is missing
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    bar.hidden = false;
    label.hidden = false;
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      bar.value = Math.round((100 * e.loaded) / e.total);
      label.textContent = "Uploading… " + (e.loaded / 1048576).toFixed(1) + " of " +
        (e.total / 1048576).toFixed(1) + " MB";
    };
    xhr.onload = function () {
      if (xhr.responseURL && xhr.responseURL.indexOf("/imports/new") === -1) {
        window.location.assign(xhr.responseURL);
      } else {
        document.open();
        document.write(xhr.responseText); // the form again, with its error
        document.close();
      }
    };
    xhr.onerror = function () {
      label.textContent = "The upload failed. Check your connection and try again.";
    };
    xhr.send(new FormData(form));
  });
})();
