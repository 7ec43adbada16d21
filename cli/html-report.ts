// One self-contained HTML page for a report: the summary, the findings, the pictures (inline SVG)
// and tables whose rows explain themselves on hover, then the plain-text report. No script, no
// stylesheet or font from anywhere, no network: it opens offline in any browser. Every command that
// reports (`elfcorehdr`, `simulate`, and whatever reports next) fills an `HtmlReport` and calls
// `htmlReport`.

import { hex, hex16 } from '../core/base/index.js';
import { type ElfCoreHeader, PF_R, PF_W, PF_X, phdrTypeName, PT_LOAD } from '../core/elf/index.js';
import type { PhdrWhat } from './phdr-roles.js';
import { escapeXml, sizeShort } from './svg-text.js';

export type FindingSeverity = 'error' | 'warning' | 'note';

/** Something a report found: a defect, a risk, or a fact worth a reader's attention. */
export interface Finding {
  readonly severity: FindingSeverity;
  readonly text: string;
  /** More, shown under the finding. */
  readonly detail?: string | undefined;
}

export interface ReportRow {
  readonly cells: readonly string[];
  /** Shown on hover. */
  readonly title?: string | undefined;
  readonly tone?: 'error' | 'warning' | 'muted' | undefined;
}

export interface ReportTable {
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly ReportRow[];
  /** Past this many rows the table starts folded (default 200). */
  readonly foldAfter?: number | undefined;
}

export interface ReportPicture {
  readonly caption: string;
  /** A whole <svg> element. */
  readonly svg: string;
}

export interface HtmlReport {
  readonly title: string;
  readonly subtitle?: string | undefined;
  /** Label and value pairs, in order. */
  readonly summary: readonly (readonly [string, string])[];
  /** May be empty: the page then says nothing was found. */
  readonly findings: readonly Finding[];
  readonly pictures?: readonly ReportPicture[] | undefined;
  readonly tables?: readonly ReportTable[] | undefined;
  /** The plain-text report, shown folded at the end. */
  readonly text?: string | undefined;
}

const CSS = `
body{margin:0;padding:20px 28px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#263238;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #cfd8dc;padding-bottom:4px}
.sub{color:#546e7a;margin:0 0 16px}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:3px 18px;margin:0;background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:12px 16px;max-width:1100px}
dl.summary dt{color:#546e7a}dl.summary dd{margin:0;font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:13px}
ul.findings{list-style:none;padding:0;margin:0;max-width:1100px}
ul.findings li{background:#fff;border:1px solid #e0e0e0;border-left:5px solid #90a4ae;border-radius:4px;padding:8px 12px;margin:6px 0}
ul.findings li.error{border-left-color:#d32f2f}ul.findings li.warning{border-left-color:#f9a825}ul.findings li.note{border-left-color:#1e88e5}
.sev{font-weight:bold;text-transform:uppercase;font-size:11px;margin-right:8px}.error .sev{color:#d32f2f}.warning .sev{color:#f57f17}.note .sev{color:#1565c0}
.detail{color:#546e7a;font-size:13px;margin-top:2px}
.none{color:#2e7d32}
figure{margin:0 0 18px;background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px;overflow-x:auto}
figcaption{color:#546e7a;font-size:13px;margin-bottom:6px}
figure svg{display:block}
table{border-collapse:collapse;background:#fff;font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12px}
caption{text-align:left;color:#546e7a;font-family:system-ui,sans-serif;font-size:13px;padding:4px 0}
th,td{border:1px solid #e0e0e0;padding:2px 8px;text-align:left;white-space:nowrap}
th{background:#eceff1;position:sticky;top:0}
tr[title]{cursor:help}tbody tr:hover{background:#e3f2fd}
tr.error td{background:#ffebee}tr.warning td{background:#fff8e1}tr.muted td{color:#90a4ae}
details{margin:8px 0}summary{cursor:pointer;color:#37474f}
pre{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px;overflow-x:auto;font-size:12px}
footer{margin-top:28px;color:#90a4ae;font-size:12px}
`;

function tableHtml(t: ReportTable): string {
  const head = `<thead><tr>${t.columns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr></thead>`;
  const body = t.rows
    .map((r) => {
      const attrs = `${r.title === undefined ? '' : ` title="${escapeXml(r.title)}"`}${r.tone === undefined ? '' : ` class="${r.tone}"`}`;
      return `<tr${attrs}>${r.cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const table = `<table><caption>${escapeXml(t.caption)} (hover a row for details)</caption>${head}<tbody>\n${body}\n</tbody></table>`;
  const fold = t.foldAfter ?? 200;
  if (t.rows.length <= fold) return table;
  return `<details><summary>${escapeXml(t.caption)}: ${t.rows.length} rows (click to open)</summary>\n${table}\n</details>`;
}

export function htmlReport(r: HtmlReport): string {
  const summary = r.summary.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('\n');
  const findings =
    r.findings.length === 0
      ? '<p class="none">Nothing found.</p>'
      : `<ul class="findings">\n${r.findings
          .map(
            (f) =>
              `<li class="${f.severity}"><span class="sev">${f.severity}</span>${escapeXml(f.text)}` +
              `${f.detail === undefined ? '' : `<div class="detail">${escapeXml(f.detail)}</div>`}</li>`,
          )
          .join('\n')}\n</ul>`;
  const pictures = (r.pictures ?? []).map((p) => `<figure><figcaption>${escapeXml(p.caption)}</figcaption>\n${p.svg.trim()}\n</figure>`).join('\n');
  const tables = (r.tables ?? []).map(tableHtml).join('\n');
  const counts = (['error', 'warning', 'note'] as const).map((s) => [s, r.findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(r.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeXml(r.title)}</h1>
${r.subtitle === undefined ? '' : `<p class="sub">${escapeXml(r.subtitle)}</p>`}
<h2>Summary</h2>
<dl class="summary">
${summary}
</dl>
<h2>Findings${counts.length === 0 ? '' : ` (${counts.map(([s, n]) => `${n} ${s}${n === 1 ? '' : 's'}`).join(', ')})`}</h2>
${findings}
${pictures === '' ? '' : `<h2>Pictures</h2>\n${pictures}`}
${tables === '' ? '' : `<h2>Tables</h2>\n${tables}`}
${r.text === undefined ? '' : `<h2>Text report</h2>\n<details><summary>the report as the terminal shows it</summary><pre>${escapeXml(r.text)}</pre></details>`}
<footer>crashplug report: one self-contained file, no scripts, nothing fetched.</footer>
</body>
</html>
`;
}

function flags(f: number): string {
  return `${f & PF_R ? 'R' : ''}${f & PF_W ? 'W' : ''}${f & PF_X ? 'E' : ''}`;
}

/** The program headers as a table, each row saying on hover what it is and what it covers. */
export function phdrReportTable(header: ElfCoreHeader, what: readonly PhdrWhat[] | undefined, caption: string): ReportTable {
  return {
    caption,
    columns: ['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'What'],
    rows: header.phdrs.map((p, i) => {
      const w = what?.[i];
      const end = p.memsz === 0n ? p.paddr : p.paddr + p.memsz - 1n;
      const title =
        `phdr ${i}: ${phdrTypeName(p.type)}${w === undefined || w.label === '' ? '' : `, ${w.label}`}\n` +
        `physical [${hex(p.paddr)}-${hex(end)}], ${sizeShort(p.memsz)} (${p.memsz} bytes) in memory, ${p.filesz} bytes in the file\n` +
        `p_offset ${hex(p.offset)}${p.offset !== p.paddr && p.type === PT_LOAD ? ' (not p_paddr: the bytes are read from elsewhere)' : ''}, p_vaddr ${hex(p.vaddr)}, p_align ${hex(p.align)}`;
      return {
        cells: [String(i), phdrTypeName(p.type), hex16(p.offset), hex16(p.vaddr), hex16(p.paddr), hex(p.filesz), hex(p.memsz), flags(p.flags), w?.label ?? ''],
        title,
      };
    }),
  };
}
