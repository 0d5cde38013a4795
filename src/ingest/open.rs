//! Opening an input and undoing its compression, recognised by magic bytes.

use super::{IngestError, Input, Source};
use std::io::{BufRead, BufReader, Read};

/// Compression of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (possibly several concatenated members).
    Gzip,
    /// Zstandard.
    Zstd,
    /// bzip2.
    Bzip2,
}

impl Compression {
    /// From the first bytes of a file.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }
}

/// Counts the raw (on-disk) bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    progress: indicatif::ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// Open `input` and return a reader of its decompressed bytes.
pub fn open(
    input: &Input,
    progress: &indicatif::ProgressBar,
) -> Result<(Box<dyn Read + Send>, Compression), IngestError> {
    let raw: Box<dyn Read + Send> = match &input.source {
        Source::Stdin => Box::new(std::io::stdin()),
        Source::File(p) => Box::new(std::fs::File::open(p).map_err(|e| IngestError::Unreadable {
            path: input.display.clone(),
            message: format!("cannot open: {e}"),
        })?),
    };
    let mut br = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: raw,
            progress: progress.clone(),
        },
    );
    let head = br.fill_buf().map_err(|e| IngestError::Unreadable {
        path: input.display.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let c = Compression::sniff(head);
    let reader: Box<dyn Read + Send> = match c {
        Compression::None => Box::new(br),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
        Compression::Zstd => {
            Box::new(
                zstd::stream::read::Decoder::with_buffer(br).map_err(|e| IngestError::Unreadable {
                    path: input.display.clone(),
                    message: format!("not a valid zstd stream: {e}"),
                })?,
            )
        }
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(br)),
    };
    Ok((reader, c))
}
