//! Ingest: finding the input files, opening them (gzip, zstd and bzip2 recognised by their magic
//! bytes, not their names), and cutting each into line-aligned chunks that the workers parse in
//! parallel, each chunk knowing the line number it starts at and the header in force there.
//!
//! Owns: files, bytes and line numbers. Must not touch: what a line means (`formats`), catalog,
//! aggregation, outputs.

pub mod chunker;
pub mod inputs;
pub mod json_doc;
pub mod open;

pub use chunker::{Chunk, ChunkEvent, Chunker};
pub use inputs::{expand, Input, Source};
pub use open::{open, Compression};

/// An input-level problem. Always names the input.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A path given on the command line does not exist or cannot be read.
    #[error("{path}: {message}")]
    Unreadable {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
    /// Decompression or read failure part-way through.
    #[error("{path}: read failed after {bytes} bytes: {message}")]
    Read {
        /// The path.
        path: String,
        /// Decompressed bytes read before the failure.
        bytes: u64,
        /// Why (e.g. a truncated gzip stream).
        message: String,
    },
}
