//! A small `multipart/form-data` reader for the bodies serenity sends with attachments: file
//! parts (`files[n]`) plus a `payload_json` text part.

use super::state::Upload;

/// A parsed multipart body.
#[derive(Debug, Default)]
pub struct Form {
    pub payload_json: Option<String>,
    pub files: Vec<Upload>,
    /// Text parts other than `payload_json`.
    pub fields: Vec<(String, String)>,
}

/// The boundary from a `Content-Type: multipart/form-data; boundary=...` header value.
pub fn boundary(content_type: &str) -> Option<String> {
    if !content_type.starts_with("multipart/form-data") {
        return None;
    }
    content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .next()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rest = haystack.get(from..)?;
    rest.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The value of `key="..."` in a Content-Disposition header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    let marker = format!("{key}=\"");
    let start = header.find(&marker)? + marker.len();
    let len = header.get(start..)?.find('"')?;
    header.get(start..start + len).map(str::to_string)
}

pub fn parse(body: &[u8], boundary: &str) -> Result<Form, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut form = Form::default();
    let mut pos = find(body, &delimiter, 0).ok_or("no opening boundary")? + delimiter.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(form);
        }
        let header_start = pos + 2; // skip CRLF after the boundary
        let header_end = find(body, b"\r\n\r\n", header_start).ok_or("part without headers")?;
        let headers =
            String::from_utf8_lossy(body.get(header_start..header_end).unwrap_or_default());
        let data_start = header_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let data_end = find(body, &closing, data_start).ok_or("part without closing boundary")?;
        let data = body.get(data_start..data_end).unwrap_or_default().to_vec();
        pos = data_end + closing.len();

        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in headers.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                name = disposition_param(line, "name");
                filename = disposition_param(line, "filename");
            } else if lower.starts_with("content-type:") {
                content_type = line.split_once(':').map(|(_, v)| v.trim().to_string());
            }
        }
        let name = name.ok_or("part without a name")?;
        match filename {
            Some(filename) => form.files.push(Upload {
                field: name,
                filename,
                content_type,
                bytes: data,
            }),
            None if name == "payload_json" => {
                form.payload_json = Some(String::from_utf8(data).map_err(|e| e.to_string())?);
            }
            None => form
                .fields
                .push((name, String::from_utf8_lossy(&data).into_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_payload_json() {
        let body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a.txt\"\r\n\
Content-Type: text/plain\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; \
name=\"payload_json\"\r\n\r\n{\"content\":\"hi\"}\r\n--XyZ--\r\n";
        let form = parse(body, "XyZ").expect("valid multipart");
        assert_eq!(form.payload_json.as_deref(), Some("{\"content\":\"hi\"}"));
        assert_eq!(form.files.len(), 1);
        assert_eq!(form.files[0].filename, "a.txt");
        assert_eq!(form.files[0].bytes, b"hello");
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
    }
}
