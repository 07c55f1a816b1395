(function () {
  function key(row, col) {
    var cell = row.cells[col];
    var v = cell.getAttribute('data-sort');
    return v === null ? cell.textContent.trim() : v;
  }
  function sortBy(table, col) {
    var heads = table.tHead.rows[0].cells;
    var th = heads[col];
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return dir * c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.title = 'sort by this column';
      th.addEventListener('click', function () { sortBy(table, col); });
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(table, col); }
      });
    });
  });
  if (location.hash === '#selftest') {
    window.addEventListener('load', function () {
      var table = document.getElementById('srvr-table');
      var order = function () {
        return Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.getAttribute('data-key'); });
      };
      var heads = table.tHead.rows[0].cells, srvrCol = -1;
      for (var i = 0; i < heads.length; i++) if (heads[i].getAttribute('data-col') === 'srvr') srvrCol = i;
      var before = order();
      heads[srvrCol].click();
      var ascending = order();
      heads[srvrCol].click();
      var descending = order();
      var images = Array.prototype.map.call(document.images, function (im) {
        return { alt: im.alt, complete: im.complete, width: im.naturalWidth };
      });
      var out = document.createElement('pre');
      out.id = 'selftest';
      out.textContent = JSON.stringify({
        errors: window.semrobErrors, before: before, ascending: ascending,
        descending: descending, images: images
      });
      document.body.appendChild(out);
    });
  }
})();
