package evidence

import (
	"bytes"
	"fmt"
	"html/template"
	"time"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/report"
	"github.com/relproof/relproof/internal/report/safe"
)

// indexTemplate is index.html: one self-contained page, no scripts, fonts
// or requests, readable and printable.
var indexTemplate = template.Must(template.New("index").Funcs(template.FuncMap{"text": safe.Text}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Release evidence: {{.Manifest.Subject}}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#24292f}
code{font:13px ui-monospace,monospace;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.verdict{font-size:1.6rem;font-weight:700;padding:.6rem 1rem;border-radius:6px}
.allow{background:#dafbe1;color:#0d3d1a}.deny{background:#ffebe9;color:#5c0a0f}
.pass{color:#1a7f37}.fail{color:#cf222e}.warn{color:#9a6700}.not-applicable{color:#57606a}
.missing{background:#fff8c5}
ol.chain{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0}
ol.chain li{border:1px solid #d0d7de;border-radius:6px;padding:.3rem .6rem}
ol.chain li+li::before{content:"→ ";color:#57606a}
@media print{body{margin:0;max-width:none}}
</style>
</head>
<body>
<p class="verdict {{.Manifest.Decision}}" id="verdict">{{.Decision.Verdict}} · {{text .Manifest.Environment}}</p>
<p id="digest">Digest <code>{{.Manifest.Digest}}</code><br>Subject <code>{{text .Manifest.Subject}}</code><br>Decided {{.Time}} · decision <code>{{.Manifest.DecisionDigest}}</code> · policy <code>{{.Decision.PolicyDigest}}</code>{{if .Decision.PolicySource}} from <code>{{text .Decision.PolicySource}}</code>{{end}}</p>
<p id="source">{{with .Decision.Source}}Built from <code>{{text .Repository}}</code>{{if .Ref}} at <code>{{text .Ref}}</code>{{end}}{{if .Commit}}, commit <code>{{text .Commit}}</code>{{end}}{{if .Builder}}, by <code>{{text .Builder}}</code>{{end}}, as the verified provenance <code>{{.Provenance}}</code> says{{else}}No verified provenance says where this was built from.{{end}}</p>
{{if .Decision.BreakGlass}}<p class="verdict deny">Break-glass deployment: {{text .Decision.Justification}}</p>{{end}}
<h2>The chain</h2>
<ol class="chain" id="chain">{{range .Chain.Nodes}}<li class="{{.Status}}" data-step="{{.ID}}"><b>{{.Label}}</b>{{if .Detail}} {{text .Detail}}{{end}}: {{.Status}}</li>{{end}}</ol>
<h2>The six questions</h2>
<table>
<tr><th>#</th><th>question</th><th>answer</th><th>checks</th></tr>
{{range .Questions}}<tr><td>{{.N}}</td><td>{{.Text}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{range .Checks}}<div class="{{.Status}}">{{.Status}} <b>{{text .ID}}</b>: {{text .Message}}</div>{{end}}</td></tr>
{{end}}</table>
<h2>Evidence</h2>
{{if .Evidence}}<table>
<tr><th>type</th><th>bundle digest</th><th>signer</th><th>in this pack</th></tr>
{{range .Evidence}}<tr{{if not .InPack}} class="missing"{{end}}><td>{{text .Type}}</td><td><code>{{.Digest}}</code></td><td>{{text .Signer}}</td><td>{{if .InPack}}<code>{{.InPack}}</code>{{else}}<b>missing:</b> not in this pack, so <code>relproof pack verify</code> fails{{end}}</td></tr>
{{end}}</table>{{else}}<p>No verified evidence for this digest.</p>{{end}}
<h2>Files</h2>
<table>
<tr><th>path</th><th>class</th><th>size</th><th>sha256</th></tr>
{{range .Manifest.Files}}<tr{{if .Missing}} class="missing"{{end}}><td><code>{{.Path}}</code>{{if .Missing}}<br><b>missing:</b> {{text .Missing}}{{end}}</td><td>{{.Class}}</td><td>{{.Size}}</td><td><code>{{.SHA256}}</code></td></tr>
{{end}}</table>
<p>This page and every file above are listed in <code>MANIFEST.json</code>, signed in <code>MANIFEST.sigstore.json</code>. Check them offline with <code>relproof pack verify DIR --key PUB</code>, or for a keyless pack <code>relproof pack verify DIR --cert-identity … --trusted-root …</code>.</p>
</body>
</html>
`))

type indexQuestion struct {
	N      int
	Text   string
	Status gate.Status
	Checks []gate.Check
}

// indexEvidence is one piece of evidence the decision used, and where the
// pack holds it ("" when it does not).
type indexEvidence struct {
	gate.Evidence
	InPack string
}

func renderIndex(d *gate.Decision, m *Manifest) ([]byte, error) {
	var qs []indexQuestion
	for q := 1; q <= 6; q++ {
		iq := indexQuestion{N: q, Text: gate.Questions[q], Status: d.QuestionStatus(q)}
		for _, c := range d.Checks {
			if c.Question == q {
				iq.Checks = append(iq.Checks, c)
			}
		}
		qs = append(qs, iq)
	}
	held := map[string]string{}
	for _, a := range m.Attestations {
		held[a.Evidence] = fmt.Sprintf("%s:%d", a.Path, a.Line)
	}
	var evs []indexEvidence
	for _, e := range d.Evidence {
		evs = append(evs, indexEvidence{Evidence: e, InPack: held[e.Digest]})
	}
	// Files lists the evidence files; index.html cannot list its own digest.
	var buf bytes.Buffer
	err := indexTemplate.Execute(&buf, map[string]any{
		"Manifest":  m,
		"Decision":  d,
		"Questions": qs,
		"Chain":     report.ChainOf(d),
		"Evidence":  evs,
		"Time":      m.Time.UTC().Format(time.RFC3339),
	})
	return buf.Bytes(), err
}
