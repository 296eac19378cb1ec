/* Colorsite: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";

  // --- Upload: drag and drop onto the file input's area, previews, limits, a busy button ---
  function formatBytes(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "") + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }

  function initDropzone(zone) {
    var input = zone.querySelector("input[type=file]");
    var preview = zone.querySelector("[data-dropzone-preview]");
    var list = zone.querySelector("[data-dropzone-files]");
    var warning = zone.parentElement.querySelector("[data-dropzone-warning]");
    var maxFiles = parseInt(zone.getAttribute("data-max-files"), 10) || 0;
    var maxBytes = parseInt(zone.getAttribute("data-max-bytes"), 10) || 0;
    var maxFileBytes = parseInt(zone.getAttribute("data-max-file-bytes"), 10) || 0;
    var urls = [];
    if (!input) return;

    // A picture is shown only once the browser could decode it: a file that is not one (even
    // one named .jpg) gets a note instead of a broken image.
    function picture(img, file, onShown, onFailed) {
      if (!/^image\//.test(file.type)) { onFailed(); return; }
      var url = URL.createObjectURL(file);
      urls.push(url);
      img.onload = onShown;
      img.onerror = onFailed;
      img.src = url;
    }
    function fileItem(file) {
      var item = document.createElement("li");
      var icon = document.createElement("span");
      icon.className = "file-icon";
      icon.setAttribute("aria-hidden", "true");
      var text = document.createElement("span");
      text.className = "small text-break";
      text.textContent = file.name + " (" + formatBytes(file.size) + ")";
      item.appendChild(icon);
      item.appendChild(text);
      var thumb = document.createElement("img");
      thumb.alt = "";
      picture(thumb, file, function () { icon.replaceWith(thumb); }, function () {
        text.textContent += ": not a picture we can show here; it will be checked when you send it.";
      });
      return item;
    }
    function problems(files) {
      var found = [];
      var total = 0;
      if (maxFiles && files.length > maxFiles) {
        found.push("You chose " + files.length + " files; at most " + maxFiles + " can be sent at once.");
      }
      Array.prototype.forEach.call(files, function (file) {
        total += file.size;
        if (maxFileBytes && file.size > maxFileBytes) {
          found.push("“" + file.name + "” is " + formatBytes(file.size) + "; the largest photo we accept is " + formatBytes(maxFileBytes) + ".");
        }
      });
      if (maxBytes && total > maxBytes) {
        found.push("These files are " + formatBytes(total) + " in all; at most " + formatBytes(maxBytes) + " can be sent at once.");
      }
      return found;
    }
    function show(files) {
      urls.forEach(function (url) { URL.revokeObjectURL(url); });
      urls = [];
      preview.classList.add("d-none");
      preview.removeAttribute("src");
      list.innerHTML = "";
      list.classList.add("d-none");
      if (warning) warning.textContent = problems(files).join(" ");
      if (files.length === 1) {
        var file = files[0];
        picture(preview, file, function () { preview.classList.remove("d-none"); }, function () {
          list.appendChild(fileItem(file));
          list.classList.remove("d-none");
        });
      } else if (files.length > 1) {
        Array.prototype.forEach.call(files, function (file) { list.appendChild(fileItem(file)); });
        list.classList.remove("d-none");
      }
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-dragover");
      });
    });
    ["dragleave", "dragend", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-dragover"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show(input.files);
      }
    });
    input.addEventListener("change", function () { show(input.files); });
    var form = zone.closest("form");
    if (form) {
      form.addEventListener("submit", function (event) {
        var found = problems(input.files);
        if (found.length) {
          // Nothing is sent that would be refused anyway (and the other choices stay).
          event.preventDefault();
          if (warning) warning.textContent = found.join(" ");
          input.focus();
          return;
        }
        var button = form.querySelector("[data-submit]");
        if (!button) return;
        // Let the submission through first, then show that it is on its way.
        setTimeout(function () {
          button.disabled = true;
          var spinner = button.querySelector("[data-submit-spinner]");
          if (spinner) spinner.classList.remove("d-none");
        }, 0);
      });
    }
  }

  // --- Copy a private link ---------------------------------------------------------------
  function initCopyLink(button) {
    var box = button.closest(".private-link") || document;
    var source = box.querySelector("[data-copy-source]");
    var result = box.querySelector("[data-copy-result]");
    button.addEventListener("click", function () {
      function copied() { if (result) result.textContent = "Link copied."; }
      function byHand() {
        source.focus();
        source.select();
        if (result) result.textContent = "The link is selected: press Ctrl+C (or ⌘+C) to copy it.";
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(copied, byHand);
      } else {
        byHand();
      }
    });
  }

  // --- A batch's live list ------------------------------------------------------------------
  function initBatch(root) {
    var url = root.getAttribute("data-batch-status-url");
    if (!url || root.getAttribute("data-finished") === "true") return;
    var delay = 1500;
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          var holder = document.createElement("div");
          holder.innerHTML = data.html;
          var old = root.querySelector("[data-batch-jobs]");
          if (old && holder.firstElementChild) old.replaceWith(holder.firstElementChild);
          if (data.finished) {
            root.setAttribute("data-finished", "true");
            return;
          }
          delay = Math.min(delay * 1.2, 5000);
          setTimeout(poll, delay);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, delay);
  }

  // --- Before/after slider ----------------------------------------------------------------
  function initCompare(root) {
    root.querySelectorAll("[data-compare]").forEach(function (figure) {
      var range = figure.querySelector("[data-compare-range]");
      if (!range) return;
      function update() { figure.style.setProperty("--pos", range.value + "%"); }
      range.addEventListener("input", update);
      update();
    });
  }

  // --- Live job status ---------------------------------------------------------------------
  function initJobPanel(panel) {
    var url = panel.getAttribute("data-status-url");
    var status = panel.getAttribute("data-status");
    if (!url || status === "succeeded" || status === "failed") return;
    var elapsed = panel.querySelector("[data-elapsed]");
    var label = panel.querySelector("[data-status-label]");
    var base = elapsed ? parseFloat(elapsed.textContent) || 0 : 0;
    var since = Date.now();
    var ticker = setInterval(function () {
      if (elapsed) elapsed.textContent = Math.floor(base + (Date.now() - since) / 1000);
    }, 250);
    var delay = 700;
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          base = data.waited; since = Date.now();
          if (data.finished && data.html) {
            clearInterval(ticker);
            var holder = document.createElement("div");
            holder.innerHTML = data.html;
            var fresh = holder.firstElementChild;
            panel.replaceWith(fresh);
            initAll(fresh);
            var announce = document.querySelector("[data-announce]");
            if (announce) {
              announce.textContent = data.status === "succeeded"
                ? "Your photo is ready: compare, download or steer the colours below."
                : "We could not colorize this photo. The reason and a way to try again are below.";
            }
            return;
          }
          if (label && data.status === "running") label.textContent = "Colorizing your photo…";
          var progress = panel.querySelector("[data-progress]");
          if (progress && typeof data.progress_html === "string") progress.innerHTML = data.progress_html;
          delay = Math.min(delay * 1.2, 3000);
          setTimeout(poll, delay);
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, delay);
  }

  // --- Colour hints: click the photo, pick colours, colorize again --------------------------
  function initHints(section) {
    var width = parseInt(section.getAttribute("data-width"), 10);
    var height = parseInt(section.getAttribute("data-height"), 10);
    var canvas = section.querySelector("[data-hint-canvas]");
    var img = canvas.querySelector("img");
    var list = section.querySelector("[data-hint-list]");
    var empty = section.querySelector("[data-hint-empty]");
    var input = section.querySelector("[data-hints-input]");
    var hints = [];
    try { hints = JSON.parse(input.value) || []; } catch (e) { hints = []; }

    // Start each new point from the colour the result has there.
    var sampler = null;
    var result = document.querySelector(".compare-after");
    if (result) {
      var sample = new Image();
      sample.onload = function () {
        var c = document.createElement("canvas");
        c.width = width; c.height = height;
        c.getContext("2d").drawImage(sample, 0, 0, width, height);
        sampler = c.getContext("2d", { willReadFrequently: true });
      };
      sample.src = result.getAttribute("src");
    }
    function colourAt(x, y) {
      if (!sampler) return "#c0504d";
      var d = sampler.getImageData(x, y, 1, 1).data;
      return "#" + [d[0], d[1], d[2]].map(function (v) { return ("0" + v.toString(16)).slice(-2); }).join("");
    }
    function clamp(v, max) { return Math.max(0, Math.min(max - 1, Math.round(v))); }

    function render() {
      canvas.querySelectorAll(".hint-marker").forEach(function (m) { m.remove(); });
      list.innerHTML = "";
      hints.forEach(function (hint, i) {
        var marker = document.createElement("div");
        marker.className = "hint-marker";
        marker.style.left = (100 * (hint.x + 0.5) / width) + "%";
        marker.style.top = (100 * (hint.y + 0.5) / height) + "%";
        marker.style.background = hint.color;
        marker.innerHTML = "<span>" + (i + 1) + "</span>";
        canvas.appendChild(marker);

        var item = document.createElement("li");
        item.innerHTML =
          '<strong class="me-1">' + (i + 1) + '.</strong>' +
          '<input type="color" class="form-control form-control-color" aria-label="Colour of point ' + (i + 1) + '">' +
          '<input type="number" class="form-control form-control-sm" min="0" max="' + (width - 1) + '" aria-label="Point ' + (i + 1) + ': x in pixels">' +
          '<input type="number" class="form-control form-control-sm" min="0" max="' + (height - 1) + '" aria-label="Point ' + (i + 1) + ': y in pixels">' +
          '<button type="button" class="btn btn-sm btn-outline-danger" aria-label="Remove point ' + (i + 1) + '">Remove</button>';
        var fields = item.querySelectorAll("input");
        fields[0].value = hint.color; fields[1].value = hint.x; fields[2].value = hint.y;
        fields[0].addEventListener("input", function () { hint.color = fields[0].value; marker.style.background = hint.color; save(); });
        fields[1].addEventListener("change", function () { hint.x = clamp(+fields[1].value, width); render(); });
        fields[2].addEventListener("change", function () { hint.y = clamp(+fields[2].value, height); render(); });
        item.querySelector("button").addEventListener("click", function () { hints.splice(i, 1); render(); });
        list.appendChild(item);
      });
      empty.classList.toggle("d-none", hints.length > 0);
      save();
    }
    function save() { input.value = JSON.stringify(hints); }
    function add(x, y) {
      hints.push({ x: x, y: y, color: colourAt(x, y) });
      render();
      var last = list.querySelector("li:last-child input[type=color]");
      if (last) last.focus();
    }
    img.addEventListener("click", function (event) {
      var box = img.getBoundingClientRect();
      add(clamp((event.clientX - box.left) / box.width * width, width),
          clamp((event.clientY - box.top) / box.height * height, height));
    });
    section.querySelector("[data-hint-add]").addEventListener("click", function () {
      add(Math.floor(width / 2), Math.floor(height / 2));
    });
    render();
  }

  function initAll(root) {
    root.querySelectorAll("[data-dropzone]").forEach(initDropzone);
    root.querySelectorAll("[data-copy-button]").forEach(initCopyLink);
    root.querySelectorAll("[data-batch-status-url]").forEach(initBatch);
    initCompare(root);
    if (root.id === "job-panel") initJobPanel(root);
    root.querySelectorAll("#job-panel").forEach(initJobPanel);
    root.querySelectorAll("[data-hints]").forEach(initHints);
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAll(document);
    // After a form error, the summary of what to fix takes the focus (and is read out).
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
