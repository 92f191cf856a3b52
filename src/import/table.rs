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

use chrono::NaiveDate;
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
        required
            .iter()
            .filter(|name| self.column(name).is_none())
            .map(|name| (*name).to_owned())
            .collect()
    }
}

impl Row {
    /// The trimmed field at column `idx`, "" when the row is shorter or `idx`
    /// is `None` (so `row.get(table.column("x"))` works for optional columns).
    pub fn get(&self, idx: Option<usize>) -> &str {
        idx.and_then(|i| self.fields.get(i))
            .map_or("", String::as_str)
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

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());

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
                return Err(TableError::Csv {
                    line,
                    message: err.to_string(),
                });
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
    Ok(Table {
        headers,
        rows,
        delimiter,
        encoding,
    })
}

/// Brazilian number to centavos: "1.234,56", "1234,56", "1234.56",
/// "R$ 99,90", "99", "-10,00", "R$ -10,00", "1.234" (= 1234,00: a dot followed
/// by exactly three digits is a thousands separator) and "12.5" (= 12,50).
///
/// Refuses, with a pt-BR reason, anything ambiguous or lossy: more than two
/// decimal places ("1,234"), misplaced thousands separators, US format
/// ("1,234.56"), letters and values that overflow `i64`.
pub fn parse_money_cents(s: &str) -> Result<i64, String> {
    let original = s.trim();
    let fail = |reason: &str| format!("valor \"{original}\" inválido: {reason}");
    if original.is_empty() {
        return Err("valor vazio".to_owned());
    }

    let mut rest = original;
    let mut negative = false;
    if let Some(after) = rest.strip_prefix('-') {
        negative = true;
        rest = after.trim_start();
    }
    if let Some(after) = strip_currency(rest) {
        rest = after.trim_start();
    }
    if !negative && let Some(after) = rest.strip_prefix('-') {
        negative = true;
        rest = after.trim_start();
    }

    if let Some(c) = rest
        .chars()
        .find(|c| !c.is_ascii_digit() && *c != '.' && *c != ',')
    {
        return Err(fail(&format!("caractere inesperado '{c}'")));
    }
    if !rest.chars().any(|c| c.is_ascii_digit()) {
        return Err(fail("não tem nenhum dígito"));
    }

    let (integer, fraction) = split_money(rest).map_err(|reason| fail(&reason))?;
    let units: i64 = if integer.is_empty() {
        0
    } else {
        integer.parse().map_err(|_| fail("número grande demais"))?
    };
    let cents: i64 = match fraction.len() {
        0 => 0,
        // Parsing at most two ASCII digits cannot fail; map_err keeps the path panic-free.
        1 => {
            fraction
                .parse::<i64>()
                .map_err(|_| fail("centavos inválidos"))?
                * 10
        }
        _ => fraction
            .parse::<i64>()
            .map_err(|_| fail("centavos inválidos"))?,
    };
    let total = units
        .checked_mul(100)
        .and_then(|v| v.checked_add(cents))
        .ok_or_else(|| fail("número grande demais"))?;
    Ok(if negative { -total } else { total })
}

/// "dd/mm/aaaa" (also "d/m/aaaa", "dd-mm-aaaa", "dd.mm.aaaa") and ISO
/// "aaaa-mm-dd"; the year must have four digits. Refuses impossible dates
/// (31/02/2026) with a pt-BR reason.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let original = s.trim();
    let fail = |reason: &str| format!("data \"{original}\" inválida: {reason}");
    if original.is_empty() {
        return Err("data vazia".to_owned());
    }
    let format_hint = "use o formato dd/mm/aaaa";

    let separator = original
        .chars()
        .find(|c| matches!(c, '/' | '-' | '.'))
        .ok_or_else(|| fail(format_hint))?;
    let parts: Vec<&str> = original.split(separator).collect();
    let [first, second, third] = parts[..] else {
        return Err(fail(format_hint));
    };
    if [first, second, third]
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(fail(format_hint));
    }

    let (year, month, day) = if first.len() == 4 {
        (first, second, third)
    } else {
        (third, second, first)
    };
    if year.len() != 4 {
        return Err(fail("o ano precisa ter 4 dígitos"));
    }
    if month.len() > 2 || day.len() > 2 {
        return Err(fail(format_hint));
    }

    // Every part is 1 to 4 ASCII digits, so these parses cannot overflow.
    let year: i32 = year.parse().map_err(|_| fail(format_hint))?;
    let month: u32 = month.parse().map_err(|_| fail(format_hint))?;
    let day: u32 = day.parse().map_err(|_| fail(format_hint))?;

    let Some(month_name) = MONTHS.get(month.wrapping_sub(1) as usize) else {
        return Err(fail(&format!("o mês {month} não existe")));
    };
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| fail(&format!("o dia {day} não existe em {month_name} de {year}")))
}

const MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

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

fn strip_currency(s: &str) -> Option<&str> {
    let prefix = s.get(..2)?;
    prefix.eq_ignore_ascii_case("r$").then(|| &s[2..])
}

/// Splits a money body (digits, dots and commas only) into integer digits and
/// zero to two decimal digits.
fn split_money(body: &str) -> Result<(String, &str), String> {
    let commas = body.matches(',').count();
    let dots = body.matches('.').count();
    match (commas, dots) {
        (0, 0) => Ok((body.to_owned(), "")),
        (1, _) => {
            let (integer, fraction) = body.split_once(',').unwrap_or((body, ""));
            if fraction.contains('.') {
                return Err("ponto depois da vírgula; use o formato 1.234,56".to_owned());
            }
            let integer = if integer.contains('.') {
                thousands(integer)?
            } else {
                integer.to_owned()
            };
            Ok((integer, decimals(fraction, "vírgula")?))
        }
        (_, _) if commas > 1 => Err("mais de uma vírgula".to_owned()),
        (0, 1) => {
            let (integer, fraction) = body.split_once('.').unwrap_or((body, ""));
            if fraction.len() == 3
                && let Ok(grouped) = thousands(body)
            {
                return Ok((grouped, ""));
            }
            if fraction.len() == 3 {
                return Err(
                    "ponto seguido de 3 dígitos é ambíguo aqui; use o formato 1.234,56".to_owned(),
                );
            }
            Ok((integer.to_owned(), decimals(fraction, "ponto")?))
        }
        _ => Ok((thousands(body)?, "")),
    }
}

fn decimals<'a>(fraction: &'a str, separator: &str) -> Result<&'a str, String> {
    match fraction.len() {
        0 => Err(format!("faltam os centavos depois do(a) {separator}")),
        1 | 2 => Ok(fraction),
        _ => Err("mais de duas casas decimais".to_owned()),
    }
}

/// "1.234.567" → "1234567", refusing groups that are not real thousands groups.
fn thousands(s: &str) -> Result<String, String> {
    let misplaced = || "separador de milhar fora do lugar".to_owned();
    let mut groups = s.split('.');
    let first = groups.next().unwrap_or("");
    if first.is_empty() || first.len() > 3 || first.starts_with('0') {
        return Err(misplaced());
    }
    let mut digits = first.to_owned();
    for group in groups {
        if group.len() != 3 {
            return Err(misplaced());
        }
        digits.push_str(group);
    }
    Ok(digits)
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
        Self {
            text,
            scanned: 0,
            line: line_offset + 1,
        }
    }

    fn current(&self) -> usize {
        self.line
    }

    /// `byte` is csv's position for the record; records come in file order.
    fn record_starting_at(&mut self, byte: u64) -> usize {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .clamp(self.scanned, self.text.len());
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

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

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
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "test bytes must not be UTF-8"
        );
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
        assert_eq!(
            err.to_string(),
            "a coluna \"nome\" aparece mais de uma vez no cabeçalho"
        );
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

    #[test]
    fn money_in_brazilian_formats_is_parsed() {
        let cases = [
            ("1.234,56", 123_456),
            ("1234,56", 123_456),
            ("1234.56", 123_456),
            ("R$ 99,90", 9_990),
            ("R$99,90", 9_990),
            ("r$ 1,5", 150),
            ("99", 9_900),
            ("-10,00", -1_000),
            ("R$ -10,00", -1_000),
            ("-R$ 10,00", -1_000),
            ("1.234", 123_400),
            ("1.234.567,89", 123_456_789),
            ("1.234.567", 123_456_700),
            ("12.5", 1_250),
            ("0,99", 99),
            ("0.5", 50),
            (",50", 50),
            ("  7,00  ", 700),
            ("-0,00", 0),
            ("0", 0),
        ];
        for (input, cents) in cases {
            assert_eq!(parse_money_cents(input), Ok(cents), "{input}");
        }
    }

    #[test]
    fn money_that_is_ambiguous_or_malformed_is_refused() {
        let cases = [
            ("", "valor vazio"),
            ("   ", "valor vazio"),
            ("R$", "não tem nenhum dígito"),
            ("-", "não tem nenhum dígito"),
            (",", "não tem nenhum dígito"),
            ("abc", "caractere inesperado 'a'"),
            ("10 reais", "caractere inesperado ' '"),
            ("--5", "caractere inesperado '-'"),
            ("1,234", "mais de duas casas decimais"),
            ("1.234,567", "mais de duas casas decimais"),
            ("12.3456", "mais de duas casas decimais"),
            ("10,", "faltam os centavos"),
            ("10.", "faltam os centavos"),
            ("1,2,3", "mais de uma vírgula"),
            ("1,234.56", "ponto depois da vírgula"),
            ("1.23.4", "separador de milhar fora do lugar"),
            ("12.34,56", "separador de milhar fora do lugar"),
            ("1234.567", "ambíguo"),
            ("0.500", "ambíguo"),
            ("99999999999999999999", "grande demais"),
            ("92233720368547758,08", "grande demais"),
        ];
        for (input, reason) in cases {
            let err = parse_money_cents(input).expect_err(input);
            assert!(err.contains(reason), "{input}: {err}");
        }
        assert_eq!(
            parse_money_cents("1,234").expect_err("refused"),
            "valor \"1,234\" inválido: mais de duas casas decimais"
        );
    }

    #[test]
    fn dates_in_brazilian_and_iso_formats_are_parsed() {
        let cases = [
            ("15/03/2026", date(2026, 3, 15)),
            ("5/3/2026", date(2026, 3, 5)),
            ("05/3/2026", date(2026, 3, 5)),
            ("15-03-2026", date(2026, 3, 15)),
            ("15.03.2026", date(2026, 3, 15)),
            ("2026-03-15", date(2026, 3, 15)),
            ("2026-3-5", date(2026, 3, 5)),
            (" 29/02/2024 ", date(2024, 2, 29)),
            ("31/12/1999", date(1999, 12, 31)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_date(input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        let cases = [
            ("", "data vazia"),
            ("31/02/2026", "o dia 31 não existe em fevereiro de 2026"),
            ("29/02/2025", "o dia 29 não existe em fevereiro de 2025"),
            ("31/04/2026", "o dia 31 não existe em abril de 2026"),
            ("00/01/2026", "o dia 0 não existe em janeiro de 2026"),
            ("01/13/2026", "o mês 13 não existe"),
            ("01/00/2026", "o mês 0 não existe"),
            ("2026-13-01", "o mês 13 não existe"),
            ("1/2/26", "o ano precisa ter 4 dígitos"),
            ("01/02/20266", "o ano precisa ter 4 dígitos"),
            ("amanhã", "use o formato dd/mm/aaaa"),
            ("15032026", "use o formato dd/mm/aaaa"),
            ("01/02-2026", "use o formato dd/mm/aaaa"),
            ("01/02/2026/1", "use o formato dd/mm/aaaa"),
            ("1a/02/2026", "use o formato dd/mm/aaaa"),
            ("001/02/2026", "use o formato dd/mm/aaaa"),
            ("15/03/2026 10:00", "use o formato dd/mm/aaaa"),
        ];
        for (input, reason) in cases {
            let err = parse_date(input).expect_err(input);
            assert!(err.contains(reason), "{input}: {err}");
        }
        assert_eq!(
            parse_date("31/02/2026").expect_err("refused"),
            "data \"31/02/2026\" inválida: o dia 31 não existe em fevereiro de 2026"
        );
    }
}
