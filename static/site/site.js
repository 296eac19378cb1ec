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
    initColourNotice(zone.parentElement, input, show);
    var form = zone.closest("form");
    if (form) {
      form.addEventListener("submit", function (event) {
        var captchaNotice = captchaUnavailable(form);
        if (captchaNotice) {
          // Sending would only come back with "tick the box" and an empty file input.
          event.preventDefault();
          captchaNotice.setAttribute("tabindex", "-1");
          captchaNotice.focus();
          return;
        }
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

  // --- A chosen photo that already has colour -------------------------------------------------
  // The same test as the server's (colorize.imaging.has_colour): on a copy at most 128 px wide,
  // how far the CIELAB a*b* values spread around their mean tint. A toned print (sepia) has a
  // tint but little spread; a colour photo spreads 7 or more.
  var COLOUR_SPREAD_THRESHOLD = 7.0;

  function labAB(r, g, b) {
    function linear(c) { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }
    function f(t) { return t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116; }
    r = linear(r); g = linear(g); b = linear(b);
    var x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    var y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    var z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
    return [500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
  }

  function colourSpread(bitmap) {
    var scale = Math.min(1, 128 / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var context = canvas.getContext("2d");
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    var data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    var values = [], meanA = 0, meanB = 0, n = data.length / 4;
    for (var i = 0; i < data.length; i += 4) {
      var ab = labAB(data[i], data[i + 1], data[i + 2]);
      values.push(ab);
      meanA += ab[0] / n;
      meanB += ab[1] / n;
    }
    var sum = 0;
    values.forEach(function (ab) { sum += (ab[0] - meanA) * (ab[0] - meanA) + (ab[1] - meanB) * (ab[1] - meanB); });
    return Math.sqrt(sum / n);
  }

  function initColourNotice(container, input, show) {
    var notice = container.querySelector("[data-colour-notice]");
    if (!notice || !window.createImageBitmap) return;
    var text = notice.querySelector("[data-colour-notice-text]");
    var coloured = [];
    function hide() { notice.classList.add("d-none"); }
    input.addEventListener("change", function () {
      hide();
      var files = Array.prototype.slice.call(input.files).filter(function (file) { return /^image\//.test(file.type); });
      Promise.all(files.map(function (file) {
        return createImageBitmap(file).then(function (bitmap) {
          return colourSpread(bitmap) >= COLOUR_SPREAD_THRESHOLD ? file : null;
        }, function () { return null; });
      })).then(function (found) {
        coloured = found.filter(Boolean);
        if (!coloured.length) return;
        var names = coloured.map(function (file) { return "“" + file.name + "”"; }).join(", ");
        text.textContent = (coloured.length === 1 ? names + " already has colour. " : names + " already have colour. ") +
          "We colorize a photo from its grey version, so the model's colours would replace " +
          (coloured.length === 1 ? "its own." : "theirs.");
        notice.classList.remove("d-none");
      });
    });
    notice.querySelector("[data-colour-grey]").addEventListener("click", hide);
    notice.querySelector("[data-colour-keep]").addEventListener("click", function () {
      var kept = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (file) {
        if (coloured.indexOf(file) < 0) kept.items.add(file);
      });
      input.files = kept.files;
      show(input.files);
      hide();
      input.focus();
    });
  }

  // --- The reCAPTCHA widget could not load ------------------------------------------------
  // Google's script failed (a machine offline, a network that blocks it): by the window's load
  // event it has either run (window.grecaptcha) or failed. Say so in place of the empty box.
  function captchaUnavailable(form) {
    var box = form.querySelector("[data-captcha]");
    if (!box || !box.querySelector(".g-recaptcha") || window.grecaptcha || !captchaScriptEnded) return null;
    var notice = box.querySelector("[data-captcha-unavailable]");
    if (notice) notice.classList.remove("d-none");
    return notice;
  }
  var captchaScriptEnded = false;
  window.addEventListener("load", function () {
    captchaScriptEnded = true;
    document.querySelectorAll("form").forEach(function (form) { captchaUnavailable(form); });
  });

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

  // --- Polling a status URL ---------------------------------------------------------------
  // Calls onData with each JSON answer until it returns true (finished); waits a little longer
  // between polls each time (up to maxDelay), and maxDelay after a failed one.
  function pollStatus(url, delay, maxDelay, onData) {
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (onData(data)) return;
          delay = Math.min(delay * 1.2, maxDelay);
          setTimeout(poll, delay);
        })
        .catch(function () { setTimeout(poll, maxDelay); });
    }
    setTimeout(poll, delay);
  }

  // --- A batch's live list ------------------------------------------------------------------
  function initBatch(root) {
    var url = root.getAttribute("data-batch-status-url");
    if (!url || root.getAttribute("data-finished") === "true") return;
    pollStatus(url, 1500, 5000, function (data) {
      var holder = document.createElement("div");
      holder.innerHTML = data.html;
      var old = root.querySelector("[data-batch-jobs]");
      if (old && holder.firstElementChild) old.replaceWith(holder.firstElementChild);
      if (data.finished) root.setAttribute("data-finished", "true");
      return data.finished;
    });
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
    pollStatus(url, 700, 3000, function (data) {
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
        return true;
      }
      if (label && data.status === "running") label.textContent = "Colorizing your photo…";
      var progress = panel.querySelector("[data-progress]");
      if (progress && typeof data.progress_html === "string") progress.innerHTML = data.progress_html;
      return false;
    });
  }

  // --- Vividness slider: show its value next to its label ----------------------------------
  function initVividness(range) {
    var output = range.form && range.form.querySelector("[data-vividness-value]");
    if (!output) return;
    function update() { output.textContent = parseFloat(range.value).toFixed(2); }
    range.addEventListener("input", update);
    update();
  }

  // --- Colour hints: points placed and dragged on the result itself -------------------------
  // "Place colour points" turns the before/after picture into the editor: it shows the result
  // (or the original while "Show the original" is pressed); a click adds a point, which starts
  // from the colour the model found most likely there; points drag with a pointer, move with
  // the arrow keys and go with Delete. Every change can be undone; the list keeps the keyboard
  // focus where it was when it is redrawn.
  function initHints(section) {
    var width = parseInt(section.getAttribute("data-width"), 10);
    var height = parseInt(section.getAttribute("data-height"), 10);
    var panel = section.closest("#job-panel") || document;
    var figure = panel.querySelector("[data-compare]");
    var layer = figure && figure.querySelector("[data-hint-layer]");
    if (!layer) return;
    var tools = section.querySelector("[data-hint-tools]");
    var list = section.querySelector("[data-hint-list]");
    var empty = section.querySelector("[data-hint-empty]");
    var input = section.querySelector("[data-hints-input]");
    var status = section.querySelector("[data-hint-status]");
    var editButton = section.querySelector("[data-hint-edit]");
    var toggle = section.querySelector("[data-hint-toggle]");
    var exact = section.querySelector("[data-hint-exact]");
    var undoButton = section.querySelector("[data-hint-undo]");
    var clearButton = section.querySelector("[data-hint-clear]");
    var addButton = section.querySelector("[data-hint-add]");
    var zoomIn = section.querySelector('[data-hint-zoom="in"]');
    var zoomOut = section.querySelector('[data-hint-zoom="out"]');
    var suggestionsUrl = tools.getAttribute("data-suggestions-url");
    var hints = [];
    var history = [];
    var suggested = {};
    var zoom = 1;
    try { hints = JSON.parse(input.value) || []; } catch (e) { hints = []; }

    function announce(text) { if (status) status.textContent = text; }
    function pressed(button) { return button.getAttribute("aria-pressed") === "true"; }

    // Editing: the picture shows one image, the split slider steps aside.
    function setEditing(on) {
      editButton.setAttribute("aria-pressed", on ? "true" : "false");
      figure.classList.toggle("is-editing", on);
      editButton.textContent = on ? "Done placing points" : "Place colour points";
      if (on) figure.scrollIntoView({ block: "nearest" });
      render();
    }
    editButton.addEventListener("click", function () {
      setEditing(!pressed(editButton));
      announce(pressed(editButton) ? "Click the photo to add a colour point." : "The before/after slider is back.");
    });
    toggle.addEventListener("click", function () {
      var showOriginal = !pressed(toggle);
      toggle.setAttribute("aria-pressed", showOriginal ? "true" : "false");
      figure.classList.toggle("shows-original", showOriginal);
      if (!pressed(editButton)) setEditing(true);
    });

    // Zoom: the picture grows inside its scrolling frame (pinch-zoom works as on any page).
    var baseWidth = 0;
    var fittedWidth = figure.style.width;  // the page's own "fit the screen" width
    function setZoom(level) {
      if (!baseWidth) baseWidth = figure.getBoundingClientRect().width;
      zoom = Math.max(1, Math.min(4, level));
      figure.style.maxWidth = zoom > 1 ? "none" : "";
      figure.style.width = zoom > 1 ? Math.round(baseWidth * zoom) + "px" : fittedWidth;
      if (zoom === 1) baseWidth = 0;
      zoomOut.disabled = zoom === 1;
      zoomIn.disabled = zoom === 4;
      announce("Zoom " + zoom + "x.");
      if (!pressed(editButton)) setEditing(true);
    }
    zoomIn.addEventListener("click", function () { setZoom(zoom * 2); });
    zoomOut.addEventListener("click", function () { setZoom(zoom / 2); });

    // A point's first colour: the result's there until the model's most likely one arrives.
    var sampler = null;
    var sample = new Image();
    sample.onload = function () {
      var c = document.createElement("canvas");
      c.width = width; c.height = height;
      var context = c.getContext("2d", { willReadFrequently: true });
      context.drawImage(sample, 0, 0, width, height);
      sampler = context;
    };
    sample.src = tools.getAttribute("data-result-src");
    function colourAt(x, y) {
      if (!sampler) return "#808080";
      var d = sampler.getImageData(x, y, 1, 1).data;
      return "#" + [d[0], d[1], d[2]].map(function (v) { return ("0" + v.toString(16)).slice(-2); }).join("");
    }
    function clamp(v, max) { return Math.max(0, Math.min(max - 1, Math.round(v))); }

    function remember() {
      history.push(JSON.stringify(hints));
      if (history.length > 100) history.shift();
    }
    function undo() {
      if (!history.length) return;
      var fromButton = document.activeElement === undoButton;
      hints = JSON.parse(history.pop());
      render();
      announce("Undone. " + count());
      if (fromButton && undoButton.disabled) addButton.focus();
    }
    function count() {
      return hints.length === 1 ? "1 colour point." : hints.length + " colour points.";
    }

    // Where the focus is (in the list or on a point), to put it back after a redraw.
    function focusedSpot() {
      var active = document.activeElement;
      if (active && layer.contains(active)) return { marker: parseInt(active.getAttribute("data-index"), 10) };
      if (!active || !list.contains(active)) return null;
      var item = active.closest("li");
      return { index: Array.prototype.indexOf.call(list.children, item), role: active.getAttribute("data-role") };
    }
    function restoreFocus(spot) {
      if (!spot) return;
      if ("marker" in spot) {
        var marker = layer.querySelector('[data-index="' + spot.marker + '"]');
        (marker || addButton).focus();
        return;
      }
      var items = list.children;
      if (!items.length) { addButton.focus(); return; }
      var item = items[Math.min(spot.index, items.length - 1)];
      var target = item.querySelector('[data-role="' + spot.role + '"]') || item.querySelector('[data-role="remove"]');
      if (target) target.focus();
    }

    function showSuggestions(item, hint, index) {
      var box = item.querySelector("[data-suggestions]");
      var colours = suggested[hint.x + "," + hint.y];
      box.innerHTML = "";
      if (!colours || !colours.length) { box.classList.add("d-none"); return; }
      box.classList.remove("d-none");
      var label = document.createElement("span");
      label.className = "small text-body-secondary";
      label.textContent = "Suggested:";
      box.appendChild(label);
      colours.forEach(function (entry, k) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "hint-swatch";
        button.style.backgroundColor = entry.color;
        button.setAttribute("data-role", "suggestion-" + k);
        button.setAttribute("aria-label", "Use the suggested colour " + entry.color + " (" +
          Math.round(entry.probability * 100) + "% likely) for point " + (index + 1));
        button.title = entry.color + ", " + Math.round(entry.probability * 100) + "%";
        if (entry.color === hint.color) button.setAttribute("aria-pressed", "true");
        button.addEventListener("click", function () {
          remember();
          hint.color = entry.color;
          delete hint.auto;
          render();
          announce("Point " + (index + 1) + " now uses " + entry.color + ".");
        });
        box.appendChild(button);
      });
    }
    // The model's likely colours at a point; a point that still has its first colour takes the
    // most likely one.
    function fetchSuggestions(hint) {
      var key = hint.x + "," + hint.y;
      if (!suggestionsUrl) return;
      if (key in suggested) { takeLikeliest(hint); return; }
      suggested[key] = null;
      fetch(suggestionsUrl + "?x=" + hint.x + "&y=" + hint.y, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { colours: [] }; })
        .then(function (data) {
          suggested[key] = data.colours || [];
          var changed = false;
          hints.forEach(function (other) {
            if (other.x + "," + other.y === key) changed = takeLikeliest(other) || changed;
          });
          changed ? render() : refreshSuggestions(key);
        })
        .catch(function () { suggested[key] = []; });
    }
    function takeLikeliest(hint) {
      var colours = suggested[hint.x + "," + hint.y];
      if (!hint.auto || !colours || !colours.length || hint.color === colours[0].color) return false;
      hint.color = colours[0].color;
      return true;
    }
    function refreshSuggestions(key) {
      hints.forEach(function (other, i) {
        if (other.x + "," + other.y === key && list.children[i]) showSuggestions(list.children[i], other, i);
      });
    }

    function place(marker, hint) {
      marker.style.left = (100 * (hint.x + 0.5) / width) + "%";
      marker.style.top = (100 * (hint.y + 0.5) / height) + "%";
    }
    function pointAt(event) {
      var box = layer.getBoundingClientRect();
      return {
        x: clamp((event.clientX - box.left) / box.width * width, width),
        y: clamp((event.clientY - box.top) / box.height * height, height)
      };
    }
    function moveTo(hint, x, y) {
      hint.x = clamp(x, width);
      hint.y = clamp(y, height);
      save();
    }
    function markerFor(hint, i) {
      var marker = document.createElement("button");
      marker.type = "button";
      marker.className = "hint-marker";
      marker.setAttribute("data-index", i);
      marker.style.background = hint.color;
      marker.setAttribute("aria-label", "Point " + (i + 1) + ", " + hint.color + ", at " + hint.x + ", " + hint.y +
        ": arrow keys move it, Delete removes it");
      var number = document.createElement("span");
      number.textContent = i + 1;
      marker.appendChild(number);
      place(marker, hint);
      var dragging = false;
      marker.addEventListener("pointerdown", function (event) {
        event.preventDefault();
        event.stopPropagation();
        marker.setPointerCapture(event.pointerId);
        remember();
        dragging = true;
        marker.classList.add("is-dragging");
      });
      marker.addEventListener("pointermove", function (event) {
        if (!dragging) return;
        var spot = pointAt(event);
        moveTo(hint, spot.x, spot.y);
        place(marker, hint);
      });
      function drop() {
        if (!dragging) return;
        dragging = false;
        marker.classList.remove("is-dragging");
        render();
        fetchSuggestions(hint);
        announce("Point " + (i + 1) + " moved to " + hint.x + ", " + hint.y + ".");
      }
      marker.addEventListener("pointerup", drop);
      marker.addEventListener("pointercancel", drop);
      marker.addEventListener("click", function (event) { event.stopPropagation(); });
      marker.addEventListener("keydown", function (event) {
        var step = Math.max(1, Math.round(Math.max(width, height) / (event.shiftKey ? 20 : 100)));
        var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
        if (moves[event.key]) {
          event.preventDefault();
          remember();
          moveTo(hint, hint.x + moves[event.key][0], hint.y + moves[event.key][1]);
          render();
          fetchSuggestions(hint);
          announce("Point " + (i + 1) + " at " + hint.x + ", " + hint.y + ".");
        } else if (event.key === "Delete" || event.key === "Backspace") {
          event.preventDefault();
          remove(i);
        }
      });
      return marker;
    }
    function remove(i) {
      remember();
      hints.splice(i, 1);
      render();
      announce("Point " + (i + 1) + " removed. " + count());
    }

    function render() {
      var spot = focusedSpot();
      layer.innerHTML = "";
      list.innerHTML = "";
      hints.forEach(function (hint, i) {
        layer.appendChild(markerFor(hint, i));
        var item = document.createElement("li");
        item.innerHTML =
          '<strong class="me-1">' + (i + 1) + '.</strong>' +
          '<input type="color" class="form-control form-control-color" data-role="colour" aria-label="Colour of point ' + (i + 1) + '">' +
          '<span class="hint-exact"><input type="number" class="form-control form-control-sm" data-role="x" min="0" max="' + (width - 1) + '" aria-label="Point ' + (i + 1) + ': x in pixels">' +
          '<input type="number" class="form-control form-control-sm" data-role="y" min="0" max="' + (height - 1) + '" aria-label="Point ' + (i + 1) + ': y in pixels"></span>' +
          '<button type="button" class="btn btn-sm btn-outline-danger" data-role="remove" aria-label="Remove point ' + (i + 1) + '">Remove</button>' +
          '<div class="hint-suggestions d-none" role="group" aria-label="Suggested colours for point ' + (i + 1) + '" data-suggestions></div>';
        var colour = item.querySelector('[data-role="colour"]');
        var xField = item.querySelector('[data-role="x"]');
        var yField = item.querySelector('[data-role="y"]');
        colour.value = hint.color; xField.value = hint.x; yField.value = hint.y;
        var editing = false;
        colour.addEventListener("input", function () {
          if (!editing) { remember(); editing = true; updateButtons(); }
          hint.color = colour.value;
          delete hint.auto;
          layer.children[i].style.background = hint.color;
          save();
        });
        colour.addEventListener("change", function () { editing = false; });
        // Moving a point by its fields updates it in place: no redraw, so Tab carries on.
        function moved(field, key, max) {
          // An emptied or garbled field puts the point back where it was, not at 0.
          if (field.value.trim() === "" || !isFinite(+field.value)) { field.value = hint[key]; return; }
          remember();
          hint[key] = clamp(+field.value, max);
          field.value = hint[key];
          place(layer.children[i], hint);
          save();
          updateButtons();
          showSuggestions(item, hint, i);
          fetchSuggestions(hint);
        }
        xField.addEventListener("change", function () { moved(xField, "x", width); });
        yField.addEventListener("change", function () { moved(yField, "y", height); });
        item.querySelector('[data-role="remove"]').addEventListener("click", function () { remove(i); });
        list.appendChild(item);
        showSuggestions(item, hint, i);
      });
      empty.classList.toggle("d-none", hints.length > 0);
      updateButtons();
      save();
      restoreFocus(spot);
    }
    function updateButtons() {
      if (undoButton) undoButton.disabled = history.length === 0;
      if (clearButton) clearButton.disabled = hints.length === 0;
    }
    function save() {
      input.value = JSON.stringify(hints.map(function (hint) { return { x: hint.x, y: hint.y, color: hint.color }; }));
    }
    function add(x, y) {
      remember();
      var hint = { x: x, y: y, color: colourAt(x, y), auto: true };
      hints.push(hint);
      render();
      fetchSuggestions(hint);
      announce("Point " + hints.length + " added. " + count());
    }
    layer.addEventListener("click", function (event) {
      var spot = pointAt(event);
      add(spot.x, spot.y);
    });
    addButton.addEventListener("click", function () {
      if (!pressed(editButton)) setEditing(true);
      add(Math.floor(width / 2), Math.floor(height / 2));
      var marker = layer.lastElementChild;
      if (marker) marker.focus();
    });
    exact.addEventListener("change", function () { list.classList.toggle("shows-exact", exact.checked); });
    if (undoButton) undoButton.addEventListener("click", undo);
    if (clearButton) {
      clearButton.addEventListener("click", function () {
        if (!hints.length) return;
        remember();
        hints = [];
        render();
        announce("All colour points cleared. Undo brings them back.");
        if (undoButton) undoButton.focus();
      });
    }
    render();
    hints.forEach(fetchSuggestions);
    if (hints.length) setEditing(true);
  }

  function initAll(root) {
    root.querySelectorAll("[data-dropzone]").forEach(initDropzone);
    root.querySelectorAll("[data-copy-button]").forEach(initCopyLink);
    root.querySelectorAll("[data-batch-status-url]").forEach(initBatch);
    initCompare(root);
    if (root.id === "job-panel") initJobPanel(root);
    root.querySelectorAll("#job-panel").forEach(initJobPanel);
    root.querySelectorAll("[data-hints]").forEach(initHints);
    root.querySelectorAll("[data-vividness]").forEach(initVividness);
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAll(document);
    // After a form error, the summary of what to fix takes the focus (and is read out).
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
