/* sohoa grid view: a register page as a spreadsheet beside its image.
 * Arrows move between cells, Enter moves down, Tab right; F2 edits in the cell, typing
 * replaces its value; Alt+A confirms a cell as on the page; Ctrl+S approves the page.
 * No inline scripts (the Content-Security-Policy forbids them). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var form = document.getElementById("grid-form");
    if (!form) return;
    var V = window.sohoaViewer || {};
    var keyed = window.sohoaKeyedDate || function (t) { return t; };
    var rows = Array.prototype.slice.call(form.querySelectorAll("#sheet tbody tr"));
    var grid = rows.map(function (tr) { return Array.prototype.slice.call(tr.querySelectorAll("td")); });
    var editing = null, before = "";

    function inputAt(r, c) {
      var td = grid[r] && grid[r][c];
      return td ? td.querySelector("input[data-cell]") : null;
    }
    function where(input) {
      for (var r = 0; r < grid.length; r++) {
        var c = grid[r].indexOf(input.closest("td"));
        if (c >= 0) return { r: r, c: c };
      }
      return null;
    }
    function bbox(td) {
      var raw = td && td.getAttribute("data-bbox");
      return raw ? raw.split(",").map(Number) : null;
    }
    function rowBox(r) {
      var boxes = grid[r].map(bbox).filter(Boolean);
      if (!boxes.length) return null;
      var x0 = Math.min.apply(null, boxes.map(function (b) { return b[0]; }));
      var y0 = Math.min.apply(null, boxes.map(function (b) { return b[1]; }));
      var x1 = Math.max.apply(null, boxes.map(function (b) { return b[0] + b[2]; }));
      var y1 = Math.max.apply(null, boxes.map(function (b) { return b[1] + b[3]; }));
      return [x0, y0, x1 - x0, y1 - y0];
    }
    function place(id, b) {
      var el = document.getElementById(id);
      if (!el) return;
      el.hidden = !b;
      if (!b) return;
      el.style.left = b[0] + "px"; el.style.top = b[1] + "px";
      el.style.width = b[2] + "px"; el.style.height = b[3] + "px";
    }
    function inkBox(ctx, w, h) {
      /* the ink inside a cell, not its ruled frame: a ruling line is dark from end to end, so
       * rows and columns (nearly) all dark are rules; the ink is the dark pixels off them */
      var data = ctx.getImageData(0, 0, w, h).data, x, y;
      function dark(x, y) { var i = (y * w + x) * 4; return data[i] + data[i + 1] + data[i + 2] < 3 * 140; }
      var rowRule = [], colRule = [], rowsInk = [], colsInk = [];
      for (y = 0; y < h; y++) { var n = 0; for (x = 0; x < w; x++) if (dark(x, y)) n++; rowRule.push(n >= w * 0.85); rowsInk.push(0); }
      for (x = 0; x < w; x++) { var m = 0; for (y = 0; y < h; y++) if (dark(x, y)) m++; colRule.push(m >= h * 0.85); colsInk.push(0); }
      for (y = 0; y < h; y++) if (!rowRule[y]) for (x = 0; x < w; x++) {
        if (!colRule[x] && dark(x, y)) { rowsInk[y]++; colsInk[x]++; }
      }
      function span(counts) {
        var lo = -1, hi = -1;
        counts.forEach(function (n, k) { if (n > 0) { if (lo < 0) lo = k; hi = k; } });
        return lo < 0 ? null : [lo, hi];
      }
      var ys = span(rowsInk), xs = span(colsInk);
      return ys && xs ? [xs[0], ys[0], xs[1] - xs[0] + 1, ys[1] - ys[0] + 1] : null;
    }
    window.sohoaInkBox = inkBox;  /* for the browser test of the crop */
    function crop(td) {
      var c = document.getElementById("cell-crop"), b = bbox(td), img = V.img;
      document.getElementById("cell-caption").textContent = td.querySelector("input").getAttribute("aria-label");
      if (!c || !b || !img || !img.naturalWidth) { if (c) { c.width = 0; c.height = 0; } return; }
      var tmp = document.createElement("canvas");
      tmp.width = Math.max(1, Math.round(b[2])); tmp.height = Math.max(1, Math.round(b[3]));
      var t = tmp.getContext("2d");
      t.drawImage(img, b[0], b[1], b[2], b[3], 0, 0, tmp.width, tmp.height);
      var ink = inkBox(t, tmp.width, tmp.height) || [0, 0, tmp.width, tmp.height];
      var pad = 3, sx = Math.max(0, ink[0] - pad), sy = Math.max(0, ink[1] - pad);
      var sw = Math.min(tmp.width - sx, ink[2] + 2 * pad), sh = Math.min(tmp.height - sy, ink[3] + 2 * pad);
      var k = Math.min(3, 420 / Math.max(sw, 1));
      c.width = Math.round(sw * k); c.height = Math.round(sh * k);
      c.getContext("2d").drawImage(tmp, sx, sy, sw, sh, 0, 0, c.width, c.height);
      c.setAttribute("data-ink", [sx, sy, sw, sh].join(","));
    }
    function updateCount() {
      var left = form.querySelectorAll("td.flag:not(.seen) input[data-cell]:not([disabled])").length;
      var out = document.getElementById("unseen-count");
      if (out) out.textContent = left ? "Còn " + left + " ô cần xem" : "Đã xem hết các ô cần xem";
    }
    function markSeen(td) {
      var flag = td.querySelector(".seen-flag");
      if (flag) flag.disabled = false;
      td.classList.add("seen");
      updateCount();
    }
    function stopEdit() {
      if (!editing) return;
      if (editing.hasAttribute("data-date")) {
        var name = editing.name.split(":")[2];
        editing.value = keyed(editing.value, name === "ngay_dang_ky", Number(editing.closest("tr").getAttribute("data-year")) || 0);
      }
      var input = editing, td = input.closest("td");
      td.classList.remove("editing");
      editing = null;
      if (window.sohoaLiveCheck) {
        window.sohoaLiveCheck(input, input.name.split(":")[2], Number(input.closest("tr").getAttribute("data-year")) || 0,
          function (res) {
            td.classList.toggle("invalid", !res.ok);
            if (!res.ok) input.title = res.note || "giá trị không hợp lệ";
          });
      }
    }
    function startEdit(input) {
      /* F2 or the first keystroke: arrows now move the caret, not the cursor between cells */
      if (editing === input) return;
      stopEdit();
      editing = input; before = input.value;
      input.closest("td").classList.add("editing");
    }
    function go(r, c) {
      if (r < 0 || r >= grid.length || c < 0 || c >= grid[r].length) return;
      var input = inputAt(r, c);
      if (input && !input.disabled) { stopEdit(); input.focus(); input.select(); }
    }
    function step(from, dr, dc) {
      var p = where(from), r = p.r + dr, c = p.c + dc;
      while (r >= 0 && r < grid.length && c >= 0 && c < grid[r].length) {
        var input = inputAt(r, c);
        if (input && !input.disabled) { go(r, c); return; }
        r += dr; c += dc;
      }
    }
    function accept(input) {
      var td = input.closest("td"), flag = td.querySelector(".accepted-flag");
      if (!input.value && input.placeholder && td.classList.contains("proposed")) {
        input.value = input.placeholder;  /* the proposed number, confirmed by the clerk */
        if (flag) flag.disabled = true;   /* a typed value: the validator checks it */
        td.classList.remove("proposed");
        markSeen(td);
        step(input, 1, 0);
        return;
      }
      if (flag) flag.disabled = false;
      td.classList.add("accepted");
      markSeen(td);
      step(input, 1, 0);
    }

    function show(input) {
        var td = input.closest("td"), p = where(input);
        form.querySelectorAll("td.current").forEach(function (x) { x.classList.remove("current"); });
        form.querySelectorAll("tr.current").forEach(function (x) { x.classList.remove("current"); });
        td.classList.add("current");
        td.parentElement.classList.add("current");
        place("row-box", rowBox(p.r));
        place("cell-box", bbox(td));
        if (V.showBox && rowBox(p.r)) V.showBox(rowBox(p.r));
        crop(td);
        if (!input.disabled) markSeen(td);
        if (td.scrollIntoView) td.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
    /* an entry without a number: the number of the entry above + 1, proposed (to confirm) */
    rows.forEach(function (tr, r) {
      var so = tr.querySelector("input[name$=':so']"), above = r > 0 && rows[r - 1].querySelector("input[name$=':so']");
      if (!so || so.disabled || so.value.trim() || !above || !/^\d+$/.test(above.value.trim() || above.placeholder)) return;
      so.placeholder = String(Number(above.value.trim() || above.placeholder) + 1);
      so.closest("td").classList.add("proposed");
      so.title = "Đề xuất: số của dòng trên + 1 — xác nhận (Alt+A) hoặc gõ số đúng";
    });

    form.querySelectorAll("input[data-cell]").forEach(function (input) {
      if (window.sohoaComplete) window.sohoaComplete(input);
      input.addEventListener("focus", function () { show(input); if (editing !== input) input.select(); });
      input.addEventListener("blur", function () { if (editing === input) stopEdit(); });
      input.addEventListener("input", function () {
        /* typed text (keys, an IME's composition, a paste) replaced the selected value */
        if (editing !== input) { startEdit(input); before = input.getAttribute("value") || ""; }
        var td = input.closest("td"), flag = td.querySelector(".accepted-flag");
        if (flag) flag.disabled = true;
        td.classList.remove("accepted");
      });
    });

    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if ((ev.ctrlKey && (ev.key === "s" || ev.key === "S")) || (ev.altKey && ev.key === "Enter")) {
        ev.preventDefault(); stopEdit();
        var btn = document.getElementById("approve-page");
        if (btn) form.requestSubmit(btn);
        return;
      }
      if (!(t && t.matches && t.matches("input[data-cell]"))) return;
      if (ev.altKey && ev.code === "KeyA") { ev.preventDefault(); stopEdit(); accept(t); return; }
      if (editing === t) {
        if (ev.key === "Enter") { ev.preventDefault(); stopEdit(); step(t, 1, 0); }
        else if (ev.key === "Escape") { ev.preventDefault(); t.value = before; stopEdit(); }
        else if (ev.key === "ArrowUp" || ev.key === "ArrowDown") {
          ev.preventDefault(); stopEdit(); step(t, ev.key === "ArrowUp" ? -1 : 1, 0);
        }
        return;
      }
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Enter: [1, 0] };
      if (moves[ev.key] && !ev.altKey && !ev.ctrlKey && !ev.shiftKey) {
        ev.preventDefault(); step(t, moves[ev.key][0], moves[ev.key][1]); return;
      }
      if (ev.key === "F2") {
        ev.preventDefault(); startEdit(t);
        t.setSelectionRange(t.value.length, t.value.length);
      }
      /* any other key types over the selected value (the browser does it; "input" follows) */
    });

    form.addEventListener("submit", function () { stopEdit(); });
    var img = V.img;
    function onImage() {  /* the crop and the boxes of the cell focused before the image came */
      if (V.fit) V.fit();
      var active = document.activeElement;
      if (active && active.matches && active.matches("input[data-cell]")) show(active);
    }
    if (img) { if (img.complete && img.naturalWidth) onImage(); else img.addEventListener("load", onImage); }
    updateCount();
    var first = form.querySelector("td.flag input[data-cell]:not([disabled])") ||
      form.querySelector("input[data-cell]:not([disabled])");
    if (first) first.focus();
  });
})();
