//! XML for S3's REST-XML protocol: a small writer for response documents and a small reader
//! for the request bodies S3 accepts (bucket configuration, tagging, delete lists, multipart
//! completion). Request bodies are small documents without DTDs; the reader builds a tree of
//! elements and text, drops namespace prefixes and attributes, and refuses anything else.

/// The namespace of every S3 response document.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Writes one XML document.
pub struct XmlWriter {
    buf: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    pub fn new() -> Self {
        let mut buf = String::with_capacity(512);
        buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        XmlWriter { buf }
    }

    /// Opens the root element with S3's namespace.
    pub fn root(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        self.buf.push_str(NAMESPACE);
        self.buf.push_str("\">");
    }

    pub fn open(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `<name>text</name>`, the text escaped.
    pub fn elem(&mut self, name: &str, text: &str) {
        self.open(name);
        escape_into(&mut self.buf, text);
        self.close(name);
    }

    /// `<name>text</name>` only when there is a text.
    pub fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.elem(name, t);
        }
    }

    /// Text content of the element opened last.
    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.buf, text);
    }

    pub fn empty(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str("/>");
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not representable as such in XML 1.0; S3 writes them as
            // character references.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n') => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// One parsed element: its local name (prefix dropped), child elements and direct text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Why a document did not parse (answered as `MalformedXML`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

/// Parses a document and returns its root element.
pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(input).map_err(|_| XmlError("not UTF-8".into()))?;
    let mut p = Parser {
        s: text.trim_start_matches('\u{feff}'),
        pos: 0,
    };
    p.skip_misc()?;
    let root = p.element(0)?;
    p.skip_misc()?;
    if p.pos != p.s.len() {
        return Err(XmlError("content after the root element".into()));
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

const MAX_DEPTH: usize = 32;

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    /// Skips whitespace, the XML declaration, processing instructions and comments.
    fn skip_misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if self.rest().starts_with("<?") {
                self.skip_past("?>")?;
            } else if self.rest().starts_with("<!--") {
                self.skip_past("-->")?;
            } else if self.rest().starts_with("<!") {
                return Err(XmlError("DTDs are not accepted".into()));
            } else {
                return Ok(());
            }
        }
    }

    fn skip_past(&mut self, end: &str) -> Result<(), XmlError> {
        match self.rest().find(end) {
            Some(i) => {
                self.pos += i + end.len();
                Ok(())
            }
            None => Err(XmlError(format!("missing {end}"))),
        }
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(XmlError("missing element name".into()));
        }
        let full = &rest[..len];
        let local = full.rsplit_once(':').map_or(full, |(_, l)| l).to_string();
        self.pos += len;
        Ok(local)
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth > MAX_DEPTH {
            return Err(XmlError("elements nested too deep".into()));
        }
        if !self.rest().starts_with('<') {
            return Err(XmlError("expected an element".into()));
        }
        self.pos += 1;
        let name = self.name()?;
        // Attributes (namespaces) are skipped; quoted values may contain '>'.
        let mut quote: Option<char> = None;
        let self_closing;
        loop {
            let Some(c) = self.rest().chars().next() else {
                return Err(XmlError("unterminated start tag".into()));
            };
            self.pos += c.len_utf8();
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    self_closing = self.s[..self.pos - 1].ends_with('/');
                    break;
                }
                _ => {}
            }
        }
        let mut el = Element {
            name,
            ..Default::default()
        };
        if self_closing {
            return Ok(el);
        }
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(XmlError(format!("unterminated element {}", el.name)));
            }
            if let Some(after) = rest.strip_prefix("</") {
                let len = after
                    .find('>')
                    .ok_or(XmlError("unterminated end tag".into()))?;
                let full = after[..len].trim();
                let local = full.rsplit_once(':').map_or(full, |(_, l)| l);
                if local != el.name {
                    return Err(XmlError(format!("mismatched end tag {full}")));
                }
                self.pos += 2 + len + 1;
                return Ok(el);
            } else if rest.starts_with("<!--") {
                self.skip_past("-->")?;
            } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let end = after
                    .find("]]>")
                    .ok_or(XmlError("unterminated CDATA".into()))?;
                el.text.push_str(&after[..end]);
                self.pos += 9 + end + 3;
            } else if rest.starts_with("<?") {
                self.skip_past("?>")?;
            } else if rest.starts_with('<') {
                let child = self.element(depth + 1)?;
                el.children.push(child);
            } else {
                let len = rest.find('<').unwrap_or(rest.len());
                unescape_into(&mut el.text, &rest[..len])?;
                self.pos += len;
            }
        }
    }
}

fn unescape_into(out: &mut String, text: &str) -> Result<(), XmlError> {
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after
            .find(';')
            .ok_or(XmlError("unterminated entity".into()))?;
        let entity = &after[..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            e => {
                let code = if let Some(hex) = e.strip_prefix("#x").or(e.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = e.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| XmlError(format!("unknown entity &{e};")))?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_escaped_documents() {
        let mut w = XmlWriter::new();
        w.root("R");
        w.elem("Key", "a<b>&\"c\u{1}");
        w.empty("E");
        w.close("R");
        let s = w.finish();
        assert!(s.ends_with(&format!(
            "<R xmlns=\"{NAMESPACE}\"><Key>a&lt;b&gt;&amp;&quot;c&#x1;</Key><E/></R>"
        )));
    }

    #[test]
    fn parses_s3_bodies() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><!-- c -->
              <Object><Key>a &amp; b&#x41;&#66;</Key><VersionId>v1</VersionId></Object>
              <Object><Key><![CDATA[<raw>]]></Key></Object>
              <Quiet>true</Quiet>
            </Delete>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Delete");
        let objects: Vec<_> = root.all("Object").collect();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].child_text("Key"), Some("a & bAB"));
        assert_eq!(objects[0].child_text("VersionId"), Some("v1"));
        assert_eq!(objects[1].child_text("Key"), Some("<raw>"));
        assert_eq!(root.child_text("Quiet"), Some("true"));
    }

    #[test]
    fn prefixes_and_self_closing() {
        let root = parse(b"<s3:N a='x>y'><s3:EventBridgeConfiguration/></s3:N>").unwrap();
        assert_eq!(root.name, "N");
        assert!(root.child("EventBridgeConfiguration").is_some());
    }

    #[test]
    fn rejects_broken_documents() {
        for doc in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"<a>&bogus;</a>",
            b"<!DOCTYPE a><a/>",
            b"<a/><b/>",
            b"\xff",
        ] {
            assert!(parse(doc).is_err(), "{:?}", String::from_utf8_lossy(doc));
        }
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
