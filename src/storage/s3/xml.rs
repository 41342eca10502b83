//! The two S3 answers the `minio` crate does not parse for us: the list of unfinished
//! multipart uploads, and the per-key errors of a batch delete.

use quick_xml::Reader;
use quick_xml::events::Event;

/// The text of each direct child of every `<item>` element, in document order:
/// `<Upload><Key>a</Key><UploadId>1</UploadId></Upload>` gives `[("Key", "a"),
/// ("UploadId", "1")]`. Deeper elements are ignored.
pub(super) fn child_texts(xml: &[u8], item: &str) -> Result<Vec<Vec<(String, String)>>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut records = Vec::new();
    let mut depth = 0_usize;
    // The depth of the `<item>` being read, its fields so far, and the current field.
    let mut open: Option<(usize, Vec<(String, String)>)> = None;
    let mut field: Option<(String, String)> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?;
        match event {
            Event::Start(start) => {
                depth += 1;
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                match &open {
                    None if name == item => open = Some((depth, Vec::new())),
                    Some((d, _)) if depth == d + 1 => field = Some((name, String::new())),
                    _ => {}
                }
            }
            Event::Text(text) => {
                if let (Some((_, value)), true) = (field.as_mut(), at_field(&open, depth)) {
                    value.push_str(&text.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(reference) => {
                if let (Some((_, value)), true) = (field.as_mut(), at_field(&open, depth)) {
                    value.push_str(&resolve(&reference)?);
                }
            }
            Event::End(_) => {
                if let Some((d, fields)) = open.as_mut() {
                    if depth == *d + 1 {
                        fields.extend(field.take());
                    } else if depth == *d {
                        records.extend(open.take().map(|(_, fields)| fields));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Ok(records),
            _ => {}
        }
        buf.clear();
    }
}

/// Whether the reader is directly inside a field of the open item.
fn at_field(open: &Option<(usize, Vec<(String, String)>)>, depth: usize) -> bool {
    open.as_ref().is_some_and(|(d, _)| depth == d + 1)
}

fn resolve(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    if let Some(c) = reference.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.to_string());
    }
    let name = reference.decode().map_err(|e| e.to_string())?;
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| format!("unknown entity &{name};"))
}

/// The value of `name` among a record's fields.
pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
}

/// Escapes a key for the XML body of a batch delete; the `minio` crate sends keys as
/// they are, so `&`, `<` or `>` in one key would break the whole batch.
pub(super) fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_texts_reads_each_item_and_resolves_entities() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
            <ListMultipartUploadsResult>
              <IsTruncated>false</IsTruncated>
              <Upload><Key>a &amp; b &lt;c&gt;</Key><UploadId>1</UploadId>
                <Initiator><ID>x</ID></Initiator></Upload>
              <Upload><Key>d&#47;e</Key><UploadId>2</UploadId></Upload>
            </ListMultipartUploadsResult>"#;

        let uploads = child_texts(xml, "Upload").expect("parses");
        let top = child_texts(xml, "ListMultipartUploadsResult").expect("parses");

        assert_eq!(uploads.len(), 2);
        assert_eq!(field(&uploads[0], "Key"), Some("a & b <c>"));
        assert_eq!(field(&uploads[0], "Initiator"), Some(""));
        assert_eq!(field(&uploads[1], "Key"), Some("d/e"));
        assert_eq!(field(&uploads[1], "UploadId"), Some("2"));
        assert_eq!(field(&top[0], "IsTruncated"), Some("false"));
    }

    #[test]
    fn delete_errors_are_found_among_deleted_entries() {
        let xml = br#"<DeleteResult><Deleted><Key>ok</Key></Deleted>
            <Error><Key>bad</Key><VersionId>v1</VersionId><Code>AccessDenied</Code>
            <Message>Access Denied</Message></Error><Deleted><Key>ok2</Key></Deleted></DeleteResult>"#;

        let errors = child_texts(xml, "Error").expect("parses");

        assert_eq!(errors.len(), 1);
        assert_eq!(field(&errors[0], "Key"), Some("bad"));
        assert_eq!(field(&errors[0], "VersionId"), Some("v1"));
        assert_eq!(field(&errors[0], "Code"), Some("AccessDenied"));
    }

    #[test]
    fn escaping_makes_hostile_keys_plain_text() {
        assert_eq!(escape("a&b<c>"), "a&amp;b&lt;c&gt;");
    }
}
