//! Reading the CSV exports that Brazilian providers bring from their old
//! systems and spreadsheets: guesses the encoding (UTF-8, UTF-16 with BOM or
//! Windows-1252) and the delimiter (`;`, `,` or tab), normalizes header names,
//! skips blank rows and keeps each row's real line number for error messages.
//! Also parses the Brazilian money and date formats found in those files.
//!
//! Not for: mapping columns to domain types or deciding which columns an import
//! needs (callers do that with [`Table::column`] and [`Table::missing`]),
//! writing CSV, or files too large to hold in memory.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// A CSV file read into memory: normalized header names and data rows with
/// their 1-based line numbers in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Header names, normalized by the same rule as [`Table::column`] uses
    /// ("Nome Fantasia" → "nome_fantasia"); an empty header cell stays "".
    pub headers: Vec<String>,
    /// Data rows in file order, blank rows left out.
    pub rows: Vec<Row>,
    /// The delimiter that was detected: `b';'`, `b','` or `b'\t'`.
    pub delimiter: u8,
    /// The encoding the file was decoded from: "UTF-8" or "windows-1252"
    /// (or "UTF-16LE" / "UTF-16BE" for Excel's "Unicode text" with a BOM).
    pub encoding: &'static str,
}

/// One data row of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line in the file where the record starts (a quoted field may
    /// span several lines).
    pub line: usize,
    /// The fields, trimmed; the row may be shorter or longer than the header.
    pub fields: Vec<String>,
}

impl Table {
    /// Index of a header (already normalized, e.g. "nome_fantasia"), if present.
    ///
    /// The name is normalized again, so "Nome Fantasia" finds the same column.
    /// An empty name never matches.
    pub fn column(&self, name: &str) -> Option<usize> {
        let wanted = normalize_header(name);
        if wanted.is_empty() {
            return None;
        }
        self.headers.iter().position(|header| *header == wanted)
    }

    /// The required headers that are missing, in the order given.
    pub fn missing(&self, required: &[&str]) -> Vec<String> {
        required.iter().filter(|name| self.column(name).is_none()).map(|name| (*name).to_owned()).collect()
    }
}

impl Row {
    /// The trimmed field at column `idx`, "" when the row is shorter or `idx`
    /// is `None` (so `row.get(table.column("x"))` works for optional columns).
    pub fn get(&self, idx: Option<usize>) -> &str {
        idx.and_then(|i| self.fields.get(i)).map_or("", String::as_str)
    }
}

/// Why a file could not be read as a table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// No bytes, or only a BOM and whitespace.
    #[error("arquivo vazio")]
    Empty,
    /// There is content, but every row is blank (e.g. only `;;;`).
    #[error("o arquivo não tem cabeçalho")]
    NoHeader,
    /// Two header cells normalize to the same name, so a column would be ambiguous.
    #[error("a coluna \"{0}\" aparece mais de uma vez no cabeçalho")]
    DuplicateColumn(String),
    /// The CSV reader failed.
    #[error("erro ao ler o CSV perto da linha {line}: {message}")]
    Csv { line: usize, message: String },
}

/// Reads a whole CSV file: detects encoding and delimiter, normalizes the
/// header (the first non-blank record) and returns the non-blank data rows.
///
/// A first line `sep=;` (as Excel writes it) sets the delimiter and is skipped.
/// A file with a header and no data rows is not an error: `rows` is empty.
pub fn read_table(bytes: &[u8]) -> Result<Table, TableError> {
    let (text, encoding) = decode(bytes);
    if text.trim().is_empty() {
        return Err(TableError::Empty);
    }

    let (body, line_offset, delimiter) = match excel_sep_line(&text) {
        Some((delimiter, rest)) => (rest, 1, delimiter),
        None => (&*text, 0, detect_delimiter(&text)),
    };

    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(body.as_bytes());

    let mut lines = LineCounter::new(body.as_bytes(), line_offset);
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                let line = match err.position() {
                    Some(pos) => lines.record_starting_at(pos.byte()),
                    None => lines.current(),
                };
                return Err(TableError::Csv { line, message: err.to_string() });
            }
        }
        let line = match record.position() {
            Some(pos) => lines.record_starting_at(pos.byte()),
            None => lines.current(),
        };

        let fields: Vec<String> = record.iter().map(|f| f.trim().to_owned()).collect();
        if fields.iter().all(String::is_empty) {
            continue;
        }
        if headers.is_some() {
            rows.push(Row { line, fields });
        } else {
            headers = Some(normalize_headers(&fields)?);
        }
    }

    let headers = headers.ok_or(TableError::NoHeader)?;
    Ok(Table { headers, rows, delimiter, encoding })
}

/// Decodes the file, returning the text and the encoding's name.
fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    match Encoding::for_bom(bytes) {
        Some((encoding, bom_len)) if encoding == UTF_8 => utf8_or_windows_1252(&bytes[bom_len..]),
        Some((encoding, bom_len)) => {
            let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
            (text, encoding.name())
        }
        None => utf8_or_windows_1252(bytes),
    }
}

/// Any byte sequence decodes as Windows-1252, so valid UTF-8 is tried first;
/// Latin-1 text with accents is practically never valid UTF-8 by accident.
fn utf8_or_windows_1252(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), UTF_8.name()),
        Err(_) => {
            let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
            (text, WINDOWS_1252.name())
        }
    }
}

/// Excel's `sep=;` first line: the delimiter it names and the text after it.
fn excel_sep_line(text: &str) -> Option<(u8, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    // Not `trim()`: it would eat the tab of `sep=\t`.
    let first = first.trim_end_matches('\r').trim_matches(' ');
    let named = first.strip_prefix("sep=")?;
    match named.as_bytes() {
        [delimiter @ (b';' | b',' | b'\t')] => Some((*delimiter, rest)),
        _ => None,
    }
}

/// Counts candidate delimiters outside quotes on the first non-blank line.
/// Ties and a header without any delimiter go to `;`: in Brazilian files a
/// comma is more likely a decimal separator than a delimiter.
fn detect_delimiter(text: &str) -> u8 {
    let (mut semicolons, mut commas, mut tabs) = (0usize, 0usize, 0usize);
    let mut in_quotes = false;
    let mut seen_content = false;
    for c in text.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                seen_content = true;
            }
            _ if in_quotes => {}
            '\n' | '\r' if seen_content => break,
            ';' => semicolons += 1,
            ',' => commas += 1,
            '\t' => tabs += 1,
            c if c.is_whitespace() => {}
            _ => seen_content = true,
        }
        if matches!(c, ';' | ',' | '\t') {
            seen_content = true;
        }
    }
    if semicolons >= commas && semicolons >= tabs {
        b';'
    } else if tabs >= commas {
        b'\t'
    } else {
        b','
    }
}

fn normalize_headers(fields: &[String]) -> Result<Vec<String>, TableError> {
    let headers: Vec<String> = fields.iter().map(|f| normalize_header(f)).collect();
    for (i, header) in headers.iter().enumerate() {
        if !header.is_empty() && headers[..i].contains(header) {
            return Err(TableError::DuplicateColumn(header.clone()));
        }
    }
    Ok(headers)
}

/// "Código" → "codigo", "Nome Fantasia" → "nome_fantasia", "CPF/CNPJ" →
/// "cpf_cnpj": accents stripped, lowercase, and every run of other
/// characters (spaces, hyphens, slashes, dots, parentheses) becomes one `_`.
fn normalize_header(raw: &str) -> String {
    // "N°" (degree sign) is a common mistyping of "Nº"; deunicode would spell it "deg".
    let raw = raw.trim().replace('°', "º");
    let ascii = deunicode::deunicode(&raw).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut pending_separator = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_separator && !out.is_empty() {
                out.push('_');
            }
            pending_separator = false;
            out.push(c);
        } else {
            pending_separator = true;
        }
    }
    out
}

/// Real line numbers of records. csv's `Position::line()` cannot be used: a
/// record's position is where the previous record's input stopped, before the
/// `\n` of a CRLF and before skipped empty lines, so it lags behind in
/// Windows files. Counting line breaks up to the record's first byte does not.
struct LineCounter<'a> {
    text: &'a [u8],
    scanned: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8], line_offset: usize) -> Self {
        Self { text, scanned: 0, line: line_offset + 1 }
    }

    fn current(&self) -> usize {
        self.line
    }

    /// `byte` is csv's position for the record; records come in file order.
    fn record_starting_at(&mut self, byte: u64) -> usize {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).clamp(self.scanned, self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let region = self.text.get(self.scanned..start).unwrap_or_default();
        for (i, byte) in region.iter().enumerate() {
            // A lone CR ends a line too (old Mac exports); CRLF counts once.
            let is_break = match byte {
                b'\n' => true,
                b'\r' => self.text.get(self.scanned + i + 1) != Some(&b'\n'),
                _ => false,
            };
            if is_break {
                self.line += 1;
            }
        }
        self.scanned = start;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(table: &Table) -> Vec<usize> {
        table.rows.iter().map(|r| r.line).collect()
    }

    #[test]
    fn utf8_bom_comma_file_is_read() {
        let bytes = b"\xef\xbb\xbfC\xc3\xb3digo,Nome,Cidade\n1,Ana,S\xc3\xa3o Jo\xc3\xa3o\n2,Bia,Bel\xc3\xa9m\n";
        let table = read_table(bytes).expect("reads");
        assert_eq!(table.encoding, "UTF-8");
        assert_eq!(table.delimiter, b',');
        assert_eq!(table.headers, ["codigo", "nome", "cidade"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].get(table.column("cidade")), "São João");
        assert_eq!(table.rows[1].get(table.column("codigo")), "2");
        assert_eq!(lines(&table), [2, 3]);
    }

    #[test]
    fn utf8_file_without_bom_is_read() {
        let table = read_table("nome;cidade\nAna;Conceição\n".as_bytes()).expect("reads");
        assert_eq!(table.encoding, "UTF-8");
        assert_eq!(table.rows[0].get(Some(1)), "Conceição");
    }

    #[test]
    fn semicolon_windows_1252_file_is_read() {
        let text = "Código;Razão Social;Cidade;Valor\r\n1;Conceição Telecom;São João;1.234,56\r\n2;\"Ana; Filhos\";Jaú;99,90\r\n";
        let (bytes, _, unmappable) = WINDOWS_1252.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "test bytes must not be UTF-8");
        let table = read_table(&bytes).expect("reads");
        assert_eq!(table.encoding, "windows-1252");
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.headers, ["codigo", "razao_social", "cidade", "valor"]);
        let name = table.column("razao_social");
        assert_eq!(table.rows[0].get(name), "Conceição Telecom");
        assert_eq!(table.rows[0].get(table.column("cidade")), "São João");
        assert_eq!(table.rows[1].get(name), "Ana; Filhos");
        assert_eq!(table.rows[1].get(table.column("cidade")), "Jaú");
        assert_eq!(lines(&table), [2, 3]);
    }

    #[test]
    fn literal_latin1_bytes_are_decoded() {
        let bytes = b"nome;cidade\nJo\xe3o;Concei\xe7\xe3o\n";
        let table = read_table(bytes).expect("reads");
        assert_eq!(table.encoding, "windows-1252");
        assert_eq!(table.rows[0].fields, ["João", "Conceição"]);
    }

    #[test]
    fn latin1_body_after_utf8_bom_is_still_decoded() {
        let bytes = b"\xef\xbb\xbfnome\nJo\xe3o\n";
        let table = read_table(bytes).expect("reads");
        assert_eq!(table.encoding, "windows-1252");
        assert_eq!(table.headers, ["nome"]);
        assert_eq!(table.rows[0].get(Some(0)), "João");
    }

    #[test]
    fn utf16_excel_unicode_text_is_read() {
        let text = "Nome\tCidade\r\nAna\tSão João\r\n";
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let table = read_table(&bytes).expect("reads");
        assert_eq!(table.encoding, "UTF-16LE");
        assert_eq!(table.delimiter, b'\t');
        assert_eq!(table.rows[0].fields, ["Ana", "São João"]);
    }

    #[test]
    fn quoted_field_with_delimiter_and_newline_keeps_line_numbers() {
        let text = "nome;endereco;cidade\n\
                    Ana;\"Rua A; 10\nApto 2\nFundos\";Recife\n\
                    Bia;Rua B;Olinda\n\
                    \n\
                    Caio;\"Rua \"\"C\"\"\";Recife\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(lines(&table), [2, 5, 7]);
        assert_eq!(table.rows[0].get(Some(1)), "Rua A; 10\nApto 2\nFundos");
        assert_eq!(table.rows[0].get(Some(2)), "Recife");
        assert_eq!(table.rows[1].get(Some(0)), "Bia");
        assert_eq!(table.rows[2].get(Some(1)), "Rua \"C\"");
    }

    #[test]
    fn quoted_newline_in_header_does_not_confuse_delimiter_detection() {
        let text = "\"Nome,\nCompleto\";Valor\nAna;10,00\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.headers, ["nome_completo", "valor"]);
        assert_eq!(lines(&table), [3]);
    }

    #[test]
    fn crlf_line_endings_give_the_same_line_numbers() {
        let text = "a,b\r\n1,2\r\n\r\n3,4\r\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(lines(&table), [2, 4]);
        assert_eq!(table.rows[1].fields, ["3", "4"]);
    }

    #[test]
    fn crlf_quoted_newlines_and_blank_lines_give_real_line_numbers() {
        let text = "\r\nnome;obs\r\nAna;\"linha 1\r\nlinha 2\"\r\n\r\n\r\nBia;ok\r\nCaio;fim";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(lines(&table), [3, 7, 8]);
        assert_eq!(table.rows[0].get(Some(1)), "linha 1\r\nlinha 2");
        assert_eq!(table.rows[2].fields, ["Caio", "fim"]);
    }

    #[test]
    fn old_mac_cr_only_file_gives_real_line_numbers() {
        let table = read_table(b"nome;valor\rAna;1\r\rBia;2\r").expect("reads");
        assert_eq!(lines(&table), [2, 4]);
    }

    #[test]
    fn blank_rows_are_skipped() {
        let text = "\n  \nnome;valor\n\n;;\n  ;  \nAna;10\n\t\nBia;20\n;\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(table.headers, ["nome", "valor"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(lines(&table), [7, 9]);
    }

    #[test]
    fn fields_are_trimmed_and_short_rows_read_as_empty() {
        let table = read_table(b"a;b;c\n  x ;\" y \"\n").expect("reads");
        let row = &table.rows[0];
        assert_eq!(row.get(Some(0)), "x");
        assert_eq!(row.get(Some(1)), "y");
        assert_eq!(row.get(Some(2)), "");
        assert_eq!(row.get(Some(99)), "");
        assert_eq!(row.get(None), "");
        assert_eq!(row.get(table.column("nao_existe")), "");
    }

    #[test]
    fn longer_rows_keep_their_extra_fields() {
        let table = read_table(b"a;b\n1;2;3\n").expect("reads");
        assert_eq!(table.rows[0].fields, ["1", "2", "3"]);
    }

    #[test]
    fn header_names_are_normalized() {
        let text = "Código; Nome Fantasia ;CPF/CNPJ;Dia Vencimento;E-mail;Razão  Social;CPF / CNPJ Responsável;Nº Contrato;N° Cliente;Valor (R$);Situação\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(
            table.headers,
            [
                "codigo",
                "nome_fantasia",
                "cpf_cnpj",
                "dia_vencimento",
                "e_mail",
                "razao_social",
                "cpf_cnpj_responsavel",
                "no_contrato",
                "no_cliente",
                "valor_r",
                "situacao",
            ]
        );
        assert!(table.rows.is_empty());
    }

    #[test]
    fn column_finds_normalized_and_raw_names() {
        let table = read_table(b"Nome Fantasia;CPF/CNPJ\n").expect("reads");
        assert_eq!(table.column("nome_fantasia"), Some(0));
        assert_eq!(table.column("Nome Fantasia"), Some(0));
        assert_eq!(table.column("cpf_cnpj"), Some(1));
        assert_eq!(table.column("email"), None);
        assert_eq!(table.column(""), None);
    }

    #[test]
    fn empty_header_cells_stay_empty_and_never_match() {
        let table = read_table(b"nome;;valor;\nAna;x;10;y\n").expect("reads");
        assert_eq!(table.headers, ["nome", "", "valor", ""]);
        assert_eq!(table.column(""), None);
        assert_eq!(table.rows[0].get(table.column("valor")), "10");
    }

    #[test]
    fn missing_headers_are_listed_in_the_order_given() {
        let table = read_table(b"nome;cpf_cnpj;cidade\n").expect("reads");
        assert_eq!(
            table.missing(&["email", "nome", "plano", "cidade", "dia_vencimento"]),
            ["email", "plano", "dia_vencimento"]
        );
        assert!(table.missing(&["nome", "cidade"]).is_empty());
    }

    #[test]
    fn duplicate_header_is_refused() {
        let err = read_table(b"Nome;Cidade;nome\n").expect_err("duplicate");
        assert!(matches!(&err, TableError::DuplicateColumn(name) if name == "nome"));
        assert_eq!(err.to_string(), "a coluna \"nome\" aparece mais de uma vez no cabeçalho");
    }

    #[test]
    fn empty_file_is_refused() {
        for bytes in [&b""[..], b"\xef\xbb\xbf", b"  \r\n\n\t"] {
            let err = read_table(bytes).expect_err("empty");
            assert!(matches!(err, TableError::Empty), "{bytes:?}");
            assert_eq!(err.to_string(), "arquivo vazio");
        }
    }

    #[test]
    fn file_of_blank_rows_has_no_header() {
        let err = read_table(b";;;\n;\n").expect_err("no header");
        assert!(matches!(err, TableError::NoHeader));
        assert_eq!(err.to_string(), "o arquivo não tem cabeçalho");
    }

    #[test]
    fn tab_delimited_file_is_read() {
        let table = read_table(b"nome\tvalor\nAna\t1,50\n").expect("reads");
        assert_eq!(table.delimiter, b'\t');
        assert_eq!(table.rows[0].fields, ["Ana", "1,50"]);
    }

    #[test]
    fn most_frequent_delimiter_outside_quotes_wins() {
        let table = read_table(b"\"a;b;c\",d,e\n1,2,3\n").expect("reads");
        assert_eq!(table.delimiter, b',');
        assert_eq!(table.headers, ["a_b_c", "d", "e"]);
    }

    #[test]
    fn single_column_header_defaults_to_semicolon() {
        let table = read_table(b"valor\n1,50\n").expect("reads");
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.rows[0].fields, ["1,50"]);
    }

    #[test]
    fn excel_sep_line_sets_delimiter_and_is_skipped() {
        let table = read_table(b"sep=,\r\nnome;apelido,valor\r\nAna;A,10\r\n").expect("reads");
        assert_eq!(table.delimiter, b',');
        assert_eq!(table.headers, ["nome_apelido", "valor"]);
        assert_eq!(lines(&table), [3]);
    }

    #[test]
    fn excel_sep_line_may_name_a_tab() {
        let table = read_table(b"sep=\t\nnome\tvalor\nAna\t1;2\n").expect("reads");
        assert_eq!(table.delimiter, b'\t');
        assert_eq!(table.rows[0].fields, ["Ana", "1;2"]);
        assert_eq!(lines(&table), [3]);
    }
}
