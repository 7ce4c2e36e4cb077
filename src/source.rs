//! Source files and locations. Every finding points into a `SourceFile` through a `Loc`.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// A file read for a check: Terraform, tfvars, or a file read by `file()` such as `impl.py`.
pub struct SourceFile {
    /// The path as reached from the command-line argument (`check envs` gives `envs/prod/iam.tf`).
    pub display: String,
    /// The path on disk.
    pub path: PathBuf,
    /// The text; invalid UTF-8 is replaced so the file can still be shown in a report.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(display: String, path: PathBuf, text: String) -> Arc<SourceFile> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(SourceFile {
            display,
            path,
            text,
            line_starts,
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }
}

/// A span of a source file.
#[derive(Clone)]
pub struct Loc {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Loc {
    pub fn new(file: &Arc<SourceFile>, span: Range<usize>) -> Loc {
        Loc {
            file: Arc::clone(file),
            span,
        }
    }

    /// The location, or the start of the file when the parser gave no span.
    pub fn of(file: &Arc<SourceFile>, span: Option<Range<usize>>) -> Loc {
        Loc::new(file, span.unwrap_or(0..0))
    }

    pub fn start(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }

    pub fn end(&self) -> (usize, usize) {
        self.file.line_col(self.span.end)
    }

    /// Whether `other` lies within this span of the same file.
    pub fn contains(&self, other: &Loc) -> bool {
        Arc::ptr_eq(&self.file, &other.file)
            && self.span.start <= other.span.start
            && other.span.end <= self.span.end
    }

    pub fn same_file(&self, other: &Loc) -> bool {
        Arc::ptr_eq(&self.file, &other.file)
    }
}

impl fmt::Debug for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.start();
        write!(f, "{}:{}:{}", self.file.display, line, column)
    }
}
