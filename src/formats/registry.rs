//! The set of formats a run can use, recognising a file's format from its first lines, and
//! routing each line that the file's format cannot read to a format that can.
//!
//! Owns: format lookup by id, sniffing, per-line routing. Must not touch: files or chunking
//! (`ingest`), counting (`scan`).

use super::{Format, Header, Line, LineParser, ParseCtx, Reject};
use std::sync::Arc;

/// The set of formats a run can use: built-ins plus the custom ones from the config file.
#[derive(Clone)]
pub struct Registry {
    formats: Vec<Arc<dyn Format>>,
    /// Indices of the formats that may take single lines of other files (no header state).
    routable: Vec<usize>,
}

impl Registry {
    /// Built-in formats plus `custom` ones (which take part in sniffing too).
    pub fn new(custom: Vec<Arc<dyn Format>>) -> Self {
        let mut formats = custom;
        formats.extend(super::builtin());
        let routable = (0..formats.len())
            .filter(|&i| formats[i].header() == Header::None)
            .collect();
        Registry { formats, routable }
    }

    /// All formats.
    pub fn all(&self) -> &[Arc<dyn Format>] {
        &self.formats
    }

    /// The format at `index` (as returned by [`Registry::index_of`] and [`LineRouter`]).
    pub fn at(&self, index: usize) -> &Arc<dyn Format> {
        &self.formats[index]
    }

    /// The index of the format with this `--format` id (case-insensitive; `custom:NAME` and
    /// `NAME` both find a custom format).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        let id = id.strip_prefix("custom:").unwrap_or(id);
        self.formats.iter().position(|f| {
            let fid = &f.info().id;
            fid.eq_ignore_ascii_case(id) || fid.strip_prefix("custom:").is_some_and(|n| n.eq_ignore_ascii_case(id))
        })
    }

    /// The format with this `--format` id.
    pub fn get(&self, id: &str) -> Option<Arc<dyn Format>> {
        self.index_of(id).map(|i| self.formats[i].clone())
    }

    /// The ids, comma-separated, for error messages.
    pub fn ids(&self) -> String {
        self.formats
            .iter()
            .map(|f| f.info().id.clone())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Pick the format that parses `sample` (a file's first lines) best, or `None`.
    ///
    /// A candidate must accept at least one line and at least as many lines as it rejects
    /// (a sample may hold a few malformed lines, which are then reported as such); among those
    /// the highest score wins — 3 per record, 2 per record of the format it cannot use (a
    /// [`Reject::recognised`], e.g. an audit event without a time), 1 per recognised
    /// non-traffic line or header/comment, so a parser that merely recognises lines loses to
    /// one that reads them — then the earliest in the registry.
    pub fn sniff(&self, sample: &[&[u8]], ctx: &ParseCtx) -> Option<Arc<dyn Format>> {
        self.sniff_index(sample, ctx).map(|i| self.formats[i].clone())
    }

    /// [`Registry::sniff`], as an index.
    pub fn sniff_index(&self, sample: &[&[u8]], ctx: &ParseCtx) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (i, f) in self.formats.iter().enumerate() {
            let mut p = f.parser(ctx);
            let (mut records, mut ignored, mut meta, mut rejects) = (0usize, 0usize, 0usize, 0usize);
            let mut broken = 0usize;
            for line in sample {
                if line.trim_ascii().is_empty() {
                    continue;
                }
                match p.parse(line) {
                    Ok(Line::Record(_)) => records += 1,
                    Ok(Line::Activities(a)) if !a.is_empty() => records += 1,
                    Ok(Line::Activities(_)) => ignored += 1,
                    Ok(Line::Ignored(_)) => ignored += 1,
                    Ok(Line::Meta) => meta += 1,
                    Err(Reject { recognised: true, .. }) => broken += 1,
                    Err(_) => rejects += 1,
                }
            }
            // Headers alone (an empty W3C log) are enough only when nothing was rejected.
            // Broken records of a format (recognised, but unusable) count for it: a sample of
            // audit events of which some lack a time is still that format.
            let accepted = records + ignored;
            if (accepted + broken == 0 && (meta == 0 || rejects > 0)) || rejects > accepted + meta + broken {
                continue;
            }
            let score = 3 * records + 2 * broken + ignored + meta;
            if best.is_none_or(|(n, _)| score > n) {
                best = Some((score, i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// Whether any format that can take single lines claims `line`.
    pub fn any_claims(&self, line: &[u8]) -> bool {
        self.routable.iter().any(|&i| self.formats[i].claims(line))
    }

    /// A router for one file (or one chunk of it) whose own format is `primary` (`None`: the
    /// file's first lines matched no format, every line is routed on its own).
    pub fn router<'r>(&'r self, primary: Option<usize>, ctx: &'r ParseCtx) -> LineRouter<'r> {
        LineRouter {
            registry: self,
            primary,
            primary_parser: primary.map(|i| self.formats[i].parser(ctx)),
            others: Vec::new(),
            ctx,
        }
    }
}

/// Parses the lines of one file: with the file's own format first, and a line that format
/// does not recognise as its own with the formats that [claim](Format::claims) it, in
/// registry order. The first of them that reads the line (a record, activities, a skipped
/// message, or a broken record it recognises as its own) wins. A collector file that mixes
/// devices, or a FortiGate that sends both CEF and key=value, is therefore read whole.
pub struct LineRouter<'r> {
    registry: &'r Registry,
    primary: Option<usize>,
    primary_parser: Option<Box<dyn LineParser>>,
    /// Parsers of the other formats, created when first needed.
    others: Vec<(usize, Box<dyn LineParser>)>,
    ctx: &'r ParseCtx,
}

/// What a routed line gave, and which format read it (`None`: no format recognised it).
pub type Routed<'a> = (Option<usize>, Result<Line<'a>, Reject>);

impl LineRouter<'_> {
    /// Feed a header line (W3C `#Fields:`, a CSV header) to the file's own parser.
    pub fn header(&mut self, line: &[u8]) {
        if let Some(p) = &mut self.primary_parser {
            let _ = p.parse(line);
        }
    }

    /// Parse one line (without its terminator).
    pub fn parse<'a>(&mut self, line: &'a [u8]) -> Routed<'a> {
        let first = match &mut self.primary_parser {
            Some(p) => match p.parse(line) {
                Err(Reject {
                    reason,
                    recognised: false,
                }) => Some(reason),
                other => return (self.primary, other),
            },
            None => None,
        };
        if line.trim_ascii().is_empty() {
            return (self.primary, Ok(Line::Meta));
        }
        let mut claimed: Option<(usize, Reject)> = None;
        for &i in &self.registry.routable {
            if Some(i) == self.primary || !self.registry.formats[i].claims(line) {
                continue;
            }
            let slot = match self.others.iter().position(|(j, _)| *j == i) {
                Some(s) => s,
                None => {
                    self.others.push((i, self.registry.formats[i].parser(self.ctx)));
                    self.others.len() - 1
                }
            };
            match self.others[slot].1.parse(line) {
                Err(e @ Reject { recognised: false, .. }) => {
                    claimed.get_or_insert((i, e));
                }
                other => return (Some(i), other),
            }
        }
        match (first, claimed) {
            (Some(reason), _) => (
                self.primary,
                Err(Reject {
                    reason,
                    recognised: false,
                }),
            ),
            (None, Some((i, e))) => (Some(i), Err(e)),
            (None, None) => (None, Err(Reject::new("no known log format recognises this line"))),
        }
    }
}
