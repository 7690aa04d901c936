// Renders /api/openapi.json as a readable page: operations by tag (method, path, summary,
// parameters, request body, responses) and the schemas. Text only (textContent), no inline code:
// the site's Content-Security-Policy allows scripts from our own origin alone.
"use strict";

(function () {
  const root = document.getElementById("reference");
  if (!root) return;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function refName(schema) {
    if (!schema) return "";
    if (schema.$ref) return schema.$ref.split("/").pop();
    if (schema.anyOf) return schema.anyOf.map(refName).join(" | ");
    return schema.type || "object";
  }

  function anchorTo(name) {
    const link = el("a", name);
    link.href = "#schema-" + name;
    return link;
  }

  function schemaLinks(schema) {
    const span = el("span");
    refName(schema).split(" | ").forEach(function (name, i) {
      if (i) span.appendChild(document.createTextNode(" | "));
      span.appendChild(/^[A-Z]/.test(name) ? anchorTo(name) : el("code", name));
    });
    return span;
  }

  function operation(method, path, op) {
    const box = el("section", null, "operation");
    const head = el("h3");
    head.appendChild(el("span", method, "method"));
    head.appendChild(el("span", path, "path"));
    box.appendChild(head);
    box.appendChild(el("p", op.summary + (op.security && op.security.length ? " (Bearer token)" : " (no sign-in)")));
    if (op.parameters && op.parameters.length) {
      const table = el("table");
      const row = el("tr");
      ["parameter", "in", "required", "about"].forEach(function (h) { row.appendChild(el("th", h)); });
      table.appendChild(row);
      op.parameters.forEach(function (p) {
        const tr = el("tr");
        [p.name, p.in, p.required ? "yes" : "no", p.description || refName(p.schema)].forEach(function (v) {
          tr.appendChild(el("td", v));
        });
        table.appendChild(tr);
      });
      box.appendChild(table);
    }
    if (op.requestBody) {
      const p = el("p", "Body: ");
      p.appendChild(schemaLinks(op.requestBody.content["application/json"].schema));
      box.appendChild(p);
    }
    const list = el("ul");
    Object.keys(op.responses).forEach(function (status) {
      const response = op.responses[status];
      const item = el("li", status + ": " + response.description + " ");
      const content = response.content || {};
      Object.keys(content).forEach(function (type) { item.appendChild(schemaLinks(content[type].schema)); });
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function render(doc) {
    root.appendChild(el("p", doc.info.description));
    const byTag = {};
    Object.keys(doc.paths).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        const op = doc.paths[path][method];
        const tag = (op.tags || ["other"])[0];
        (byTag[tag] = byTag[tag] || []).push(operation(method, path, op));
      });
    });
    Object.keys(byTag).forEach(function (tag) {
      root.appendChild(el("h2", tag));
      byTag[tag].forEach(function (box) { root.appendChild(box); });
    });
    root.appendChild(el("h2", "Schemas"));
    const schemas = doc.components.schemas;
    Object.keys(schemas).sort().forEach(function (name) {
      const details = el("details");
      details.id = "schema-" + name;
      details.appendChild(el("summary", name));
      details.appendChild(el("pre", JSON.stringify(schemas[name], null, 2)));
      root.appendChild(details);
    });
  }

  fetch(root.dataset.document, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(render)
    .catch(function () { root.appendChild(el("p", "The document could not be loaded: open /api/openapi.json.")); });
})();
