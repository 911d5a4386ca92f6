// Sorts a table.sortable by the heading clicked (again: the other way). Reads only the
// page itself: a cell's data-v (numbers; empty = none, always last) or its text.
(function () {
  var collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true });
  function key(row, column) {
    var cell = row.cells[column];
    return cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
  }
  function compare(numeric, a, b) {
    if (a === "" || b === "") { return a === b ? 0 : (a === "" ? 1 : -1); }
    return numeric ? parseFloat(a) - parseFloat(b) : collator.compare(a, b);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headings = table.tHead.rows[0].cells;
    table.classList.add("js-sort");
    Array.prototype.forEach.call(headings, function (th, column) {
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var numeric = th.getAttribute("data-type") === "number";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).map(function (row) {
          return [key(row, column), row];
        });
        rows.sort(function (a, b) {
          // Missing values stay last whichever way the column is sorted.
          if (a[0] === "" || b[0] === "") { return compare(numeric, a[0], b[0]); }
          var order = compare(numeric, a[0], b[0]);
          return ascending ? order : -order;
        });
        Array.prototype.forEach.call(headings, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var fragment = document.createDocumentFragment();
        rows.forEach(function (pair) { fragment.appendChild(pair[1]); });
        body.appendChild(fragment);
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
})();
