/* sohoa record view: keyboard-first review, zoom and pan of the page preview.
 * No inline scripts (the Content-Security-Policy forbids them). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  /* dates typed the short way (21101994, 211094, 21/10/94) shown as Vietnamese write them;
   * a two-digit year takes the latest century not after the record's year + 1, or for the
   * registration / issue date the nearest one (the server reads them the same way:
   * pipeline/review/keying.py) */
  function fullYear(yy, nearest, hint) {
    if (nearest) {
      var near = [1800, 1900, 2000].map(function (c) { return c + yy; });
      near.sort(function (a, b) { return Math.abs(a - hint) - Math.abs(b - hint) || b - a; });
      return near[0];
    }
    var best = null;
    [1800, 1900, 2000].forEach(function (c) { if (c + yy <= hint + 1) best = c + yy; });
    return best === null ? 1900 + yy : best;
  }
  function keyedDate(text, nearest, hint) {
    var t = text.trim(), d, m, y, r;
    if (/^\d{6}$|^\d{8}$/.test(t)) { d = t.slice(0, 2); m = t.slice(2, 4); y = t.slice(4); }
    else if ((r = /^(\d{1,2})[\s\/.\-]+(\d{1,2})[\s\/.\-]+(\d{2}|\d{4})$/.exec(t))) { d = r[1]; m = r[2]; y = r[3]; }
    else return text;
    if (y.length === 2) y = String(fullYear(Number(y), nearest, hint || new Date().getFullYear()));
    return ("0" + Number(d)).slice(-2) + "/" + ("0" + Number(m)).slice(-2) + "/" + y;
  }
  window.sohoaKeyedDate = keyedDate;

  /* completion as the clerk types (GET /complete/<kind>): places of the book's year (the
   * nearest data-year), full names, ethnic groups, nationalities. Our own list under the
   * input, not a <datalist>: the browser filters a datalist by the typed letters, so
   * "tran thi b" would hide "Trần Thị Bình". Arrow keys move in the list, Enter or Tab take
   * the highlighted value, Esc closes it; with nothing highlighted the keys do what they
   * always do (Enter: next field). */
  function completeField(input) {
    var kind = input.getAttribute("data-complete");
    if (!kind || input.hasAttribute("list")) return;  /* a list of its own (the 54 ethnic groups) */
    var box = document.createElement("ul"), timer = null, asked = "", active = -1, asking = 0;
    var min = kind === "place" ? 3 : kind === "name" ? 2 : 1;
    var holder = input.closest("[data-year]"), year = holder ? Number(holder.getAttribute("data-year")) : 0;
    box.id = "cl-" + (input.id || input.name).replace(/[^A-Za-z0-9_-]/g, "-");
    box.className = "complete-list";
    box.setAttribute("role", "listbox");
    box.hidden = true;
    document.body.appendChild(box);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", box.id);
    input.setAttribute("aria-expanded", "false");
    function close() { box.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); }
    function mark(i) {
      var items = box.children;
      if (!items.length) return;
      active = (i + items.length) % items.length;
      Array.prototype.forEach.call(items, function (li, j) {
        li.classList.toggle("active", j === active);
        li.setAttribute("aria-selected", j === active ? "true" : "false");
      });
      items[active].scrollIntoView({ block: "nearest" });
    }
    function take(i) {
      var li = box.children[i];
      if (!li) return;
      input.value = li.textContent;
      asked = input.value;
      close();
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function show(names) {
      box.textContent = "";
      active = -1;
      names.forEach(function (n, i) {
        var li = document.createElement("li");
        li.textContent = n;
        li.setAttribute("role", "option");
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); take(i); });
        box.appendChild(li);
      });
      if (!names.length || document.activeElement !== input) { close(); return; }
      var r = input.getBoundingClientRect();
      box.style.left = (r.left + window.scrollX) + "px";
      box.style.top = (r.bottom + window.scrollY) + "px";
      box.style.minWidth = r.width + "px";
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    input.addEventListener("keydown", function (ev) {
      if (box.hidden) return;
      var stop = true;
      if (ev.key === "ArrowDown") mark(active + 1);
      else if (ev.key === "ArrowUp") mark(active - 1);
      else if (ev.key === "Escape") close();
      else if ((ev.key === "Enter" || ev.key === "Tab") && active >= 0) { take(active); stop = ev.key === "Enter"; }
      else stop = false;
      if (stop) { ev.preventDefault(); ev.stopImmediatePropagation(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.replace(/^\s+/, "");  /* a space at the end asks for the next word */
        if (q.trim().length < min) { close(); return; }
        if (q === asked) return;
        asked = q;
        var url = "/complete/" + kind + "?q=" + encodeURIComponent(q);
        if (year) url += "&year=" + year;
        var mine = ++asking;  /* a slower earlier answer never replaces a newer one */
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (names) { if (mine === asking) show(names); })
          .catch(function () { /* completion is a help; typing goes on */ });
      }, 150);
    });
  }
  window.sohoaComplete = completeField;

  /* the field's validator as the clerk types (GET /check/<field>): mark(result) gets
   * {ok, value, note}; approval checks every field again on the server */
  function liveCheck(input, name, year, mark) {
    var v = input.value;
    fetch("/check/" + encodeURIComponent(name) + "?v=" + encodeURIComponent(v) + "&year=" + (year || 0),
      { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (res) { if (res && input.value === v) mark(res); })
      .catch(function () { /* the server checks again on approval */ });
  }
  window.sohoaLiveCheck = liveCheck;

  /* The page image: zoom, pan, show a box. Shared by the record view and the grid view
   * (window.sohoaViewer). */
  function setupViewer() {
    var viewer = document.getElementById("viewer");
    var stage = document.getElementById("stage");
    var img = document.getElementById("page-img");
    var view = { s: 1, x: 0, y: 0 };

    function apply() {
      if (stage) stage.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.s + ")";
    }
    function fit() {
      if (!img || !img.naturalWidth) return;
      view.s = Math.min(viewer.clientWidth / img.naturalWidth, viewer.clientHeight / img.naturalHeight);
      view.x = (viewer.clientWidth - img.naturalWidth * view.s) / 2;
      view.y = 0;
      apply();
    }
    function zoomAt(factor, cx, cy) {
      var ns = Math.max(0.1, Math.min(8, view.s * factor));
      view.x = cx - (cx - view.x) * (ns / view.s);
      view.y = cy - (cy - view.y) * (ns / view.s);
      view.s = ns;
      apply();
    }
    function zoom(factor) { zoomAt(factor, viewer.clientWidth / 2, viewer.clientHeight / 2); }
    function showBox(b) {
      /* zoom so the field fills about 70 % of the viewer width, centred */
      if (!b || !viewer) return;
      var s = Math.min(4, Math.max(0.5, (viewer.clientWidth * 0.7) / Math.max(b[2], 40)));
      view.s = s;
      view.x = viewer.clientWidth / 2 - (b[0] + b[2] / 2) * s;
      view.y = viewer.clientHeight / 2 - (b[1] + b[3] / 2) * s;
      apply();
    }
    document.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var z = b.getAttribute("data-zoom");
        if (z === "in") zoom(1.25); else if (z === "out") zoom(0.8); else fit();
      });
    });
    if (viewer && stage) {
      viewer.addEventListener("wheel", function (ev) {
        ev.preventDefault();
        var r = viewer.getBoundingClientRect();
        zoomAt(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - r.left, ev.clientY - r.top);
      }, { passive: false });
      var drag = null;
      viewer.addEventListener("pointerdown", function (ev) {
        drag = { x: ev.clientX - view.x, y: ev.clientY - view.y };
        viewer.classList.add("dragging");
        viewer.setPointerCapture(ev.pointerId);
      });
      viewer.addEventListener("pointermove", function (ev) {
        if (!drag) return;
        view.x = ev.clientX - drag.x; view.y = ev.clientY - drag.y; apply();
      });
      var stop = function () { drag = null; viewer.classList.remove("dragging"); };
      viewer.addEventListener("pointerup", stop);
      viewer.addEventListener("pointercancel", stop);
    }
    document.addEventListener("keydown", function (ev) {
      if (ev.altKey && (ev.key === "=" || ev.key === "+")) { ev.preventDefault(); zoom(1.25); }
      else if (ev.altKey && ev.key === "-") { ev.preventDefault(); zoom(0.8); }
      else if (ev.altKey && ev.key === "0") { ev.preventDefault(); fit(); }
    });
    return { fit: fit, showBox: showBox, img: img };
  }

  ready(function () {
    window.sohoaViewer = setupViewer();
  });

  /* blind keying: its inputs complete like the record form's */
  ready(function () {
    document.querySelectorAll("#keying-form input[data-complete]").forEach(completeField);
  });

  /* tables marked data-sortable sort by a column when its header is clicked (numbers by
   * their data-v, text in Vietnamese order); a second click reverses */
  ready(function () {
    document.querySelectorAll("table[data-sortable]").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th, col) {
        th.classList.add("sortable");
        th.setAttribute("tabindex", "0");
        function sortBy() {
          var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
          var down = th.getAttribute("aria-sort") === "ascending";
          function key(tr) {
            var td = tr.cells[col]; if (!td) return "";
            var v = td.getAttribute("data-v") || (td.querySelector("[data-v]") || {getAttribute: function () { return null; }}).getAttribute("data-v");
            return v !== null && v !== "" && !isNaN(Number(v)) ? Number(v) : td.textContent.trim();
          }
          rows.sort(function (a, b) {
            var x = key(a), y = key(b);
            var c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y), "vi");
            return down ? -c : c;
          });
          table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", down ? "descending" : "ascending");
          rows.forEach(function (tr) { body.appendChild(tr); });
        }
        th.addEventListener("click", sortBy);
        th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sortBy(); });
      });
    });
  });

  /* F1 (or ? outside a text field) opens the guide of the signed-in user's role */
  document.addEventListener("keydown", function (ev) {
    var link = document.getElementById("help-link");
    if (!link) return;
    var typing = ev.target && ev.target.matches && ev.target.matches("input, textarea, select");
    if (ev.key === "F1" || (ev.key === "?" && !typing)) {
      ev.preventDefault();
      window.location.href = link.getAttribute("href");
    }
  });

  ready(function () {
    var form = document.getElementById("record-form");
    if (!form) return;
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-field]:not([disabled])"));
    var img = window.sohoaViewer.img, fit = window.sohoaViewer.fit, showBox = window.sohoaViewer.showBox;
    function bboxOf(fieldEl) {
      var raw = fieldEl && fieldEl.getAttribute("data-bbox");
      return raw ? raw.split(",").map(Number) : null;
    }
    var others = {};  /* previews of the document's other pages, by URL */
    function cropFrom(source, el) {
      var b = bboxOf(el), c = el.querySelector("canvas.crop");
      if (!b || !c || !source.naturalWidth) return;
      var pad = 4, w = b[2] + 2 * pad, h = b[3] + 2 * pad;
      var k = Math.min(2, 420 / w);
      c.width = Math.round(w * k); c.height = Math.round(h * k);
      c.getContext("2d").drawImage(source, b[0] - pad, b[1] - pad, w, h, 0, 0, c.width, c.height);
    }
    function drawCrops() {
      form.querySelectorAll(".field[data-bbox]").forEach(function (el) {
        var src = el.getAttribute("data-src");
        if (!src) { if (img) cropFrom(img, el); return; }
        /* a value read on another page of the document (the signer's, a register's right page) */
        var other = others[src];
        if (!other) {
          other = others[src] = new Image();
          other.addEventListener("load", drawCrops);
          other.src = src;
        }
        cropFrom(other, el);
      });
      var current = form.querySelector(".field.current");
      if (current) keepInView(current);
    }
    function keepInView(el) {
      /* the focused field stays on screen, also when crops drawn later push the form down */
      if (el && el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
    }
    function focusField(input) {
      if (!input) return;
      input.focus();
      input.select();
    }
    function onFocus(ev) {
      var el = ev.target.closest(".field");
      form.querySelectorAll(".field.current").forEach(function (f) { f.classList.remove("current"); });
      document.querySelectorAll(".box.active").forEach(function (b) { b.classList.remove("active"); });
      if (!el) return;
      el.classList.add("current");
      var seenFlag = el.querySelector(".seen-flag");  /* the clerk's cursor visited this flagged field */
      if (seenFlag) seenFlag.disabled = false;
      keepInView(el);
      var box = document.getElementById("box-" + el.getAttribute("data-name"));
      if (box) box.classList.add("active");
      if (!el.hasAttribute("data-src")) showBox(bboxOf(el));  /* its crop shows the other page */
    }
    function nextFlagged(from) {
      var i = inputs.indexOf(from);
      for (var j = i + 1; j < inputs.length; j++) if (inputs[j].hasAttribute("data-flag")) return inputs[j];
      return inputs[i + 1] || document.getElementById("approve");
    }
    function accept(input) {
      var el = input.closest(".field");
      el.classList.add("accepted");
      el.classList.remove("invalid");
      var flag = el.querySelector(".accepted-flag");
      if (flag) flag.disabled = false;
      var next = nextFlagged(input);
      if (next && next.tagName === "INPUT") focusField(next); else if (next) next.focus();
    }
    function approve() {
      if (document.getElementById("approve")) form.requestSubmit(document.getElementById("approve"));
    }

    var yearHint = Number(form.getAttribute("data-year")) || new Date().getFullYear();
    var only = document.getElementById("only-flagged");  /* show only the fields to review */
    if (only) only.addEventListener("change", function () { form.classList.toggle("only-flagged", only.checked); });

    inputs.forEach(function (input) {
      completeField(input);
      var typedHere = false;
      input.addEventListener("input", function () { typedHere = true; });
      input.addEventListener("change", function () {
        if (!typedHere) return;
        var el = input.closest(".field"), name = input.id.slice(2);
        liveCheck(input, name, yearHint, function (res) {
          el.classList.toggle("invalid", !res.ok);
          var note = el.querySelector(".live-note");
          if (!note) {
            note = document.createElement("p");
            note.className = "live-note error";
            note.setAttribute("aria-live", "polite");
            el.appendChild(note);
          }
          note.textContent = res.ok ? "" : (res.note || "giá trị không hợp lệ");
        });
      });
      if (input.hasAttribute("data-date")) {
        input.addEventListener("blur", function () {
          var name = input.id.slice(2);  /* the registration / issue date: nearest century */
          var v = keyedDate(input.value, name === "ngay_dang_ky" || name === "ngay_ban_hanh", yearHint);
          if (v !== input.value) input.value = v;
        });
      }
      input.addEventListener("focus", onFocus);
      input.addEventListener("input", function () {
        var el = input.closest(".field");
        el.classList.remove("accepted");
        var flag = el.querySelector(".accepted-flag");
        if (flag) flag.disabled = true;
      });
    });
    form.querySelectorAll("button.sug").forEach(function (b) {
      b.addEventListener("click", function () {
        var input = b.closest(".field").querySelector("input[data-field]");
        input.value = b.getAttribute("data-value");
        input.dispatchEvent(new Event("input"));
        focusField(input);
      });
    });

    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      var inField = t && t.matches && t.matches("input[data-field]");
      if ((ev.ctrlKey && (ev.key === "s" || ev.key === "S")) || (ev.altKey && ev.key === "Enter")) {
        ev.preventDefault(); approve(); return;
      }
      if (inField && ((ev.altKey && ev.code === "KeyA") || (ev.ctrlKey && ev.key === "Enter"))) {
        ev.preventDefault(); accept(t); return;
      }
      if (inField && ev.key === "Enter" && !ev.altKey && !ev.ctrlKey && !ev.shiftKey) {
        ev.preventDefault();
        var next = nextFlagged(t);
        if (next && next.tagName === "INPUT") focusField(next); else if (next) next.focus();
        return;
      }
      if (inField && ev.altKey && /^Digit[1-5]$/.test(ev.code)) {
        var sugs = t.closest(".field").querySelectorAll("button.sug");
        var b = sugs[Number(ev.code.slice(5)) - 1];
        if (b) { ev.preventDefault(); b.click(); }
        return;
      }
    });

    function onImage() {
      fit(); drawCrops();
      var active = document.activeElement;
      if (active && active.matches("input[data-field]")) onFocus({ target: active });
    }
    if (img) { if (img.complete && img.naturalWidth) onImage(); else img.addEventListener("load", onImage); }
    else drawCrops();
    var first = form.querySelector("input[autofocus]");
    if (first) focusField(first);
  });
})();
