//! A chart for other tools: GraphML (Gephi, i2, yEd) and CSV of its links, labels masked as
//! on the page.

use super::analysis::View;

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn graphml(v: &View) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n\
  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n\
  <key id=\"kind\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n\
  <key id=\"count\" for=\"edge\" attr.name=\"count\" attr.type=\"int\"/>\n\
  <key id=\"amount\" for=\"edge\" attr.name=\"amount_yuan\" attr.type=\"double\"/>\n\
  <key id=\"kinds\" for=\"edge\" attr.name=\"kinds\" attr.type=\"string\"/>\n\
  <graph id=\"chart\" edgedefault=\"undirected\">\n",
    );
    for n in &v.nodes {
        out.push_str(&format!(
            "    <node id=\"n{}\"><data key=\"label\">{}</data><data key=\"kind\">{}</data></node>\n",
            n.id,
            xml(&n.label),
            xml(&n.kind)
        ));
    }
    for (i, l) in v.links.iter().enumerate() {
        out.push_str(&format!(
            "    <edge id=\"e{i}\" source=\"n{}\" target=\"n{}\"><data key=\"count\">{}</data><data key=\"amount\">{:.2}</data><data key=\"kinds\">{}</data></edge>\n",
            l.a,
            l.b,
            l.count,
            l.amount,
            xml(&l.kinds.join(","))
        ));
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}

fn cell(s: &str) -> String {
    // A cell a spreadsheet would run as a formula starts with a quote instead.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// One line per link: both ends with their labels, records, amount, kinds, first and last.
pub fn csv(v: &View) -> String {
    let label = |id: i64| v.nodes.iter().find(|n| n.id == id).map(|n| n.label.clone()).unwrap_or_default();
    let mut out =
        String::from("\u{feff}source,source_label,target,target_label,records,amount_yuan,kinds,first,last\n");
    for l in &v.links {
        out.push_str(&format!(
            "{},{},{},{},{},{:.2},{},{},{}\n",
            l.a,
            cell(&label(l.a)),
            l.b,
            cell(&label(l.b)),
            l.count,
            l.amount,
            cell(&l.kinds.join("+")),
            ningan_core::time::rfc3339_ms(l.first),
            ningan_core::time::rfc3339_ms(l.last)
        ));
    }
    out
}
