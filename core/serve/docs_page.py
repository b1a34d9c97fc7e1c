"""The offline docs page: one self-contained HTML file that renders the OpenAPI document.

No CDN and no request at run time: the document is embedded in the page (a
``<script type="application/json">``) and rendered by the few lines of plain
JavaScript below — every operation with its parameters, request bodies and
responses, and every schema as a tree with links between ``$ref`` s. Without
JavaScript the page still shows the embedded document as text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["docs_page"]

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#1d232a;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:16px 24px}header h1{margin:0;font-size:22px}
header p{margin:6px 0 0;opacity:.85;font-size:14px}main{max-width:1100px;margin:0 auto;padding:16px 24px}
.op{background:#fff;border:1px solid #d7dde3;border-radius:6px;margin:12px 0;padding:0}
.op>summary{cursor:pointer;padding:10px 14px;font-family:ui-monospace,monospace;font-size:15px;list-style:none}
.op[open]>summary{border-bottom:1px solid #e3e7eb}.op .body{padding:8px 16px 14px}
.m{display:inline-block;min-width:52px;text-align:center;color:#fff;border-radius:3px;padding:2px 6px;margin-right:10px;font-weight:600}
.get{background:#2e7d32}.post{background:#1565c0}.s{font-family:system-ui,sans-serif;color:#46525e;margin-left:10px;font-size:14px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}th,td{border:1px solid #e0e4e8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f7}code,.t{font-family:ui-monospace,monospace;font-size:12.5px}.t{color:#7b3fa0}
ul.tree{list-style:none;padding-left:16px;margin:2px 0;border-left:1px dotted #c7ced6}ul.tree li{margin:2px 0}
.req{color:#c0392b}.d{color:#5c6770}h2{margin-top:28px;border-bottom:2px solid #1f3b57;padding-bottom:4px}
pre{white-space:pre-wrap;font-size:12px;background:#fff;border:1px solid #ddd;padding:8px}
</style></head><body>
<header><h1>__TITLE__</h1><p>__DESCRIPTION__</p><p>OpenAPI <a style="color:#fff" href="openapi.json">openapi.json</a></p></header>
<main id="app"><noscript><p>本页用 JavaScript 显示接口；下面是接口文档原文 (the OpenAPI document):</p><pre>__ESCAPED__</pre></noscript></main>
<script type="application/json" id="openapi">__SPEC__</script>
<script>
(function () {
  "use strict";
  var spec = JSON.parse(document.getElementById("openapi").textContent);
  function esc(x) { return String(x).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function anchor(ref) { return "schema-" + ref.replace("#/components/schemas/", "").replace(/[^A-Za-z0-9_-]/g, "-"); }
  function typeOf(s) {
    if (s.$ref) return '<a href="#' + anchor(s.$ref) + '">' + esc(s.$ref.replace("#/components/schemas/", "")) + "</a>";
    if (s.const !== undefined) return "const " + esc(JSON.stringify(s.const));
    if (s.enum) return "enum " + esc(s.enum.map(function (v) { return JSON.stringify(v); }).join(" | "));
    var t = s.type ? [].concat(s.type).join(" | ") : "";
    if (t === "array" && s.items) return "array of " + typeOf(s.items);
    if (s.format) t += " (" + esc(s.format) + ")";
    return esc(t || (s.anyOf || s.oneOf ? "one of" : "any"));
  }
  function tree(s, depth) {
    if (!s || typeof s !== "object" || depth > 6) return "";
    var out = "", req = s.required || [];
    if (s.properties) {
      out += '<ul class="tree">';
      Object.keys(s.properties).forEach(function (k) {
        var p = s.properties[k];
        out += "<li><code>" + esc(k) + "</code>" + (req.indexOf(k) >= 0 ? '<span class="req">*</span>' : "") +
          ' <span class="t">' + typeOf(p) + "</span>" + (p.title ? " " + esc(p.title) : "") +
          (p.description ? ' <span class="d">— ' + esc(p.description) + "</span>" : "") +
          (p.$ref ? "" : tree(p.type === "array" ? (p.items || {}) : p, depth + 1)) + "</li>";
      });
      out += "</ul>";
    }
    ["anyOf", "oneOf"].forEach(function (key) {
      if (s[key]) out += '<ul class="tree">' + s[key].map(function (x) { return "<li>" + key + ": " + '<span class="t">' + typeOf(x) + "</span>" + (x.$ref ? "" : tree(x, depth + 1)) + "</li>"; }).join("") + "</ul>";
    });
    return out;
  }
  function content(c) {
    return Object.keys(c || {}).map(function (media) {
      var s = c[media].schema || {};
      return "<div><code>" + esc(media) + '</code> <span class="t">' + typeOf(s) + "</span>" + (s.$ref ? "" : tree(s, 0)) + "</div>";
    }).join("");
  }
  var html = "";
  Object.keys(spec.paths).forEach(function (path) {
    var item = spec.paths[path];
    Object.keys(item).forEach(function (method) {
      var op = item[method];
      html += '<details class="op" id="op-' + esc(op.operationId || "") + '"><summary><span class="m ' + method + '">' + method.toUpperCase() +
        "</span>" + esc(path) + '<span class="s">' + esc(op.summary || "") + '</span></summary><div class="body">';
      if (op.description) html += "<p>" + esc(op.description) + "</p>";
      if (op.parameters) {
        html += "<h4>参数 parameters</h4><table><tr><th>name</th><th>in</th><th>schema</th><th>description</th></tr>";
        op.parameters.forEach(function (p) {
          html += "<tr><td><code>" + esc(p.name) + "</code>" + (p.required ? '<span class="req">*</span>' : "") + "</td><td>" + esc(p["in"]) +
            '</td><td class="t">' + typeOf(p.schema || {}) + "</td><td>" + esc(p.description || "") + "</td></tr>";
        });
        html += "</table>";
      }
      if (op.requestBody) html += "<h4>请求体 request body</h4>" + content(op.requestBody.content);
      html += "<h4>响应 responses</h4><table><tr><th>status</th><th>description</th><th>content</th></tr>";
      Object.keys(op.responses).forEach(function (code) {
        var r = op.responses[code];
        html += "<tr><td><b>" + esc(code) + "</b></td><td>" + esc(r.description || "") + "</td><td>" +
          Object.keys(r.content || {}).map(function (m) { return "<code>" + esc(m) + '</code> <span class="t">' + typeOf(r.content[m].schema || {}) + "</span>"; }).join("<br>") + "</td></tr>";
      });
      html += "</table></div></details>";
    });
  });
  html += "<h2>数据结构 schemas</h2>";
  function section(name, s, level) {
    var id = anchor("#/components/schemas/" + name);
    var out = '<details class="op" id="' + id + '"><summary>' + esc(name) + (s.title ? '<span class="s">' + esc(s.title) + "</span>" : "") +
      '</summary><div class="body">' + (s.description ? "<p>" + esc(s.description) + "</p>" : "") +
      '<span class="t">' + typeOf(s) + "</span>" + tree(s, 0);
    if (s.$defs && level < 2) Object.keys(s.$defs).forEach(function (k) { out += section(name + "/$defs/" + k, s.$defs[k], level + 1); });
    return out + "</div></details>";
  }
  Object.keys(spec.components.schemas).forEach(function (name) { html += section(name, spec.components.schemas[name], 0); });
  document.getElementById("app").innerHTML = html;
  document.documentElement.setAttribute("data-rendered", String(Object.keys(spec.paths).length));
})();
</script></body></html>
"""


def docs_page(document: Mapping[str, Any]) -> bytes:
    """The page for ``document`` (an OpenAPI document), as UTF-8 bytes."""
    text = json.dumps(document, ensure_ascii=False)
    # inside <script>, "</" or "<!--" would end or confuse the element; "<" only occurs in
    # JSON strings, where its escape means the same
    spec = text.replace("<", "\\u003c")
    info = document.get("info", {})
    page = (
        _PAGE.replace("__TITLE__", html.escape(str(info.get("title", "API"))))
        .replace("__DESCRIPTION__", html.escape(str(info.get("description", ""))))
        .replace("__ESCAPED__", html.escape(json.dumps(document, ensure_ascii=False, indent=1)))
        .replace("__SPEC__", spec)
    )
    return page.encode("utf-8")
