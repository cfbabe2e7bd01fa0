//! What may be attached to a request: photos (JPEG, PNG) and PDF scans, recognised by their
//! first bytes rather than their names, at most [`MAX_FILES`] of at most [`MAX_BYTES`] each;
//! and serving them back with headers that stop a browser from reading them as anything else.

use axum::response::Response;

use super::store::attachments::Attachment;
use crate::http::error::ApiError;

pub const MAX_FILES: usize = 3;
pub const MAX_BYTES: usize = 1024 * 1024;

/// A file as uploaded.
#[derive(Debug)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub use crate::http::files::sniff;

/// Checks every file before anything is written; returns each with its real type.
pub fn check(files: &[Upload]) -> Result<Vec<(&Upload, &'static str)>, ApiError> {
    if files.len() > MAX_FILES {
        return Err(super::error::refuse(
            "files",
            format!("最多上传{MAX_FILES}个附件"),
            format!("at most {MAX_FILES} attachments"),
        ));
    }
    files
        .iter()
        .map(|f| {
            let name: String =
                f.name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(100).collect();
            if f.bytes.len() > MAX_BYTES {
                return Err(super::error::refuse(
                    "files",
                    format!("附件“{name}”超过1 MB"),
                    format!("attachment “{name}” is larger than 1 MB"),
                ));
            }
            let kind = sniff(&f.bytes).ok_or_else(|| {
                super::error::refuse(
                    "files",
                    format!("附件“{name}”不是 JPEG、PNG 图片或 PDF 文件"),
                    format!("attachment “{name}” is not a JPEG or PNG picture or a PDF"),
                )
            })?;
            Ok((f, kind))
        })
        .collect()
}

/// The file as a download, never rendered in place of a page.
pub fn serve(a: &Attachment, bytes: Vec<u8>) -> Response {
    crate::http::files::download(&a.name, &a.content_type, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_bytes_not_their_names() {
        let png = Upload { name: "现场.png".into(), bytes: b"\x89PNG\r\n\x1a\nrest".to_vec() };
        let fake = Upload { name: "照片.jpg".into(), bytes: b"<script>alert(1)</script>".to_vec() };
        let big = Upload { name: "大.pdf".into(), bytes: [b"%PDF-".as_slice(), &vec![0u8; MAX_BYTES]].concat() };
        assert_eq!(check(&[png]).unwrap()[0].1, "image/png");
        assert!(check(&[fake]).unwrap_err().errors[0].message.contains("不是 JPEG"));
        assert!(check(&[big]).unwrap_err().errors[0].message.contains("1 MB"));
        let many: Vec<Upload> =
            (0..4).map(|i| Upload { name: format!("{i}.pdf"), bytes: b"%PDF-1.4".to_vec() }).collect();
        assert!(check(&many).is_err());
    }
}
