//! Photos of risk points (as found, as rectified): JPEG or PNG recognised by their bytes, at
//! most [`MAX_FILES`] of at most [`MAX_BYTES`] each, all checked before anything is written.

use super::error::LifeError;

pub const MAX_FILES: usize = 4;
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// A photo as uploaded.
#[derive(Debug)]
pub struct Photo {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every photo with its real type, or the first reason one is refused.
pub fn check(files: &[Photo]) -> Result<Vec<(&Photo, &'static str)>, LifeError> {
    if files.len() > MAX_FILES {
        return Err(LifeError::Field("photos", format!("最多上传{MAX_FILES}张照片 / at most {MAX_FILES} photos")));
    }
    files
        .iter()
        .map(|f| {
            let name: String =
                f.name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(100).collect();
            if f.bytes.len() > MAX_BYTES {
                return Err(LifeError::Context(
                    "photos",
                    format!("照片“{name}”超过2 MB / photo “{name}” is larger than 2 MB"),
                ));
            }
            match crate::http::files::sniff(&f.bytes) {
                Some(kind @ ("image/png" | "image/jpeg")) => Ok((f, kind)),
                // What the bytes are is theirs to say, not the schema's.
                _ => Err(LifeError::Context(
                    "photos",
                    format!("“{name}”不是 JPEG 或 PNG 图片 / “{name}” is not a JPEG or PNG picture"),
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::rule::Refusal;

    #[test]
    fn only_pictures_pass_whatever_their_names() {
        let png = Photo { name: "护栏.png".into(), bytes: b"\x89PNG\r\n\x1a\nrest".to_vec() };
        let pdf = Photo { name: "照片.jpg".into(), bytes: b"%PDF-1.4".to_vec() };
        assert_eq!(check(&[png]).unwrap()[0].1, "image/png");
        let e = check(&[pdf]).unwrap_err();
        assert_eq!(e.field(), Some("photos"));
        assert!(e.to_string().contains("不是 JPEG") && e.to_string().contains("not a JPEG"));
        let many: Vec<Photo> =
            (0..5).map(|i| Photo { name: format!("{i}.png"), bytes: b"\x89PNG\r\n\x1a\n".to_vec() }).collect();
        assert!(check(&many).is_err());
    }
}
