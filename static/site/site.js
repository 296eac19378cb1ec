/* Colorsite: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";

  // --- Upload: drag and drop onto the file input's area, a preview, a busy button ---------
  function initDropzone(zone) {
    var input = zone.querySelector("input[type=file]");
    var preview = zone.querySelector("[data-dropzone-preview]");
    if (!input) return;
    function show(file) {
      if (!preview || !file || !/^image\//.test(file.type)) return;
      preview.src = URL.createObjectURL(file);
      preview.classList.remove("d-none");
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
        show(input.files[0]);
      }
    });
    input.addEventListener("change", function () { show(input.files[0]); });
    var form = zone.closest("form");
    if (form) {
      form.addEventListener("submit", function () {
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
    initCompare(root);
    if (root.id === "job-panel") initJobPanel(root);
    root.querySelectorAll("#job-panel").forEach(initJobPanel);
    root.querySelectorAll("[data-hints]").forEach(initHints);
  }

  document.addEventListener("DOMContentLoaded", function () { initAll(document); });
})();
