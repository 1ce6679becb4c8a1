// Enhancement only: the review form works without it. Selecting text in the document and pressing
// "将选中文字填入手工删除" fills the first empty manual row with the selection's offsets, counted in
// code points into title + "\n" + body (the review API's offsets), as the page's text holds exactly those.
(function () {
  "use strict";
  var text = document.getElementById("doc-text");
  var button = document.getElementById("use-selection");
  var status = document.getElementById("selection-status");
  if (!text || !button) { return; }
  button.hidden = false;

  function codePoints(s) { return Array.from(s).length; }

  function offset(node, at) {
    var range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(node, at);
    return codePoints(range.toString());
  }

  button.addEventListener("click", function () {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      status.textContent = "请先在左侧文本中选中要删除的文字。";
      return;
    }
    var range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) {
      status.textContent = "所选文字须在文件文本之内。";
      return;
    }
    var start = offset(range.startContainer, range.startOffset);
    var end = offset(range.endContainer, range.endOffset);
    var rows = document.querySelectorAll(".manual-row");
    for (var i = 0; i < rows.length; i++) {
      var s = rows[i].querySelector("[name=manual_start]");
      var e = rows[i].querySelector("[name=manual_end]");
      var r = rows[i].querySelector("[name=manual_reason]");
      if (!s.value && !e.value) {
        s.value = String(start);
        e.value = String(end);
        if (!r.value) { r.value = "个人隐私（《条例》第十五条）"; }
        status.textContent = "已填入第 " + (i + 1) + " 行：位置 " + start + "–" + end + "，请核对删除理由。";
        r.focus();
        return;
      }
    }
    status.textContent = "手工删除的各行已填满：请先提交，或清空一行后再试。";
  });
})();
