/**
 * `/docs`: /openapi.json rendered by a few lines of inline script. Nothing is loaded from
 * elsewhere (no CDN), so the page works offline and behind a strict egress policy.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice API</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 2rem; color: #1d232a; }
  h2 { border-bottom: 1px solid #ccd; padding-top: 1rem; }
  details { border: 1px solid #dde; border-radius: 6px; margin: .4rem 0; padding: .3rem .7rem; }
  summary { cursor: pointer; }
  .m { display: inline-block; min-width: 4.5em; font: bold 12px monospace; text-transform: uppercase; }
  .get { color: #0a6; } .post { color: #06c; } .put { color: #a60; } .delete { color: #c22; }
  code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f5f6f8; padding: .6rem; overflow: auto; max-height: 28rem; }
  .lock { color: #777; font-size: 12px; margin-left: .5em; }
  td { vertical-align: top; padding: .15rem .6rem .15rem 0; }
</style>
</head>
<body>
<h1>Sluice API</h1>
<p>Rendered from <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<div id="doc">Loading…</div>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const json = (v) => '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>';
const deref = (doc, v) => (v && v.$ref ? doc.components.schemas[v.$ref.split('/').pop()] : v);
fetch('openapi.json').then((r) => r.json()).then((doc) => {
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ path, method, op });
  let html = '<p>' + esc(doc.info.description) + '</p>';
  for (const [tag, ops] of Object.entries(byTag)) {
    html += '<h2>' + esc(tag) + '</h2>';
    for (const { path, method, op } of ops) {
      const auth = (op.security ?? []).map((s) => Object.keys(s)[0]).join(', ');
      html += '<details><summary><span class="m ' + method + '">' + method + '</span><code>' + esc(path) + '</code> ' + esc(op.summary) + (auth ? '<span class="lock">🔒 ' + esc(auth) + '</span>' : '') + '</summary>';
      if (op.parameters) html += '<h4>Parameters</h4><table>' + op.parameters.map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + esc(p.in) + '</td><td>' + esc(p.description) + '</td><td><code>' + esc(JSON.stringify(p.schema)) + '</code></td></tr>').join('') + '</table>';
      if (op.requestBody) for (const [type, media] of Object.entries(op.requestBody.content)) html += '<h4>Body: ' + esc(type) + '</h4>' + json(media.schema);
      html += '<h4>Responses</h4>';
      for (const [status, res] of Object.entries(op.responses)) {
        html += '<p><b>' + esc(status) + '</b> ' + esc(res.description) + '</p>';
        for (const [type, media] of Object.entries(res.content ?? {})) if (!media.schema?.$ref || status < 400) html += '<div><i>' + esc(type) + '</i>' + json(deref(doc, media.schema)) + '</div>';
      }
      html += '</details>';
    }
  }
  html += '<h2>Schemas</h2>' + Object.entries(doc.components.schemas).map(([name, schema]) => '<details><summary><code>' + esc(name) + '</code></summary>' + json(schema) + '</details>').join('');
  document.getElementById('doc').innerHTML = html;
}).catch((err) => { document.getElementById('doc').textContent = 'Could not load openapi.json: ' + err; });
</script>
</body>
</html>
`;
