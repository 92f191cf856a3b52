//! Statements built at run time, with each dialect's placeholders: `$n` for
//! PostgreSQL, `?` for SQLite. sqlx's `QueryBuilder` writes `?` for the Any
//! driver, which PostgreSQL refuses; and SQLite treats `$n` as a named
//! parameter, looked up by name for each value, which makes a 12,500-value
//! insert crawl. Multi-row inserts and `IN (...)` lists go through this.

use balcao_domain::{DomainError, DomainResult};

use crate::Dialect;
use sqlx::any::AnyArguments;
use sqlx::error::BoxDynError;
use sqlx::{Any, Arguments, Encode, Type};

/// SQL text and its bound values, numbered as they are added.
pub(crate) struct Statement {
    dialect: Dialect,
    text: String,
    args: AnyArguments,
    count: usize,
    error: Option<BoxDynError>,
}

/// One parenthesized group of values inside a [`Statement`].
pub(crate) struct Tuple<'a> {
    statement: &'a mut Statement,
    first: bool,
}

impl Tuple<'_> {
    /// Adds a value to the group.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'t> Encode<'t, Any> + Type<Any>,
    {
        if !self.first {
            self.statement.text.push_str(", ");
        }
        self.first = false;
        self.statement.bind(value);
        self
    }
}

impl Statement {
    /// Starts a statement in `dialect` with `text`.
    pub(crate) fn new(dialect: Dialect, text: impl Into<String>) -> Self {
        Statement { dialect, text: text.into(), args: AnyArguments::default(), count: 0, error: None }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'t> Encode<'t, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value)
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self.count += 1;
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.count.to_string());
            }
        }
        self
    }

    /// Appends `(..), (..)`: one group per item, filled by `each`.
    pub(crate) fn groups<I: IntoIterator>(
        &mut self,
        items: I,
        mut each: impl FnMut(&mut Tuple<'_>, I::Item),
    ) -> &mut Self {
        for (i, item) in items.into_iter().enumerate() {
            self.text.push_str(if i == 0 { "(" } else { ", (" });
            let mut tuple = Tuple { statement: self, first: true };
            each(&mut tuple, item);
            self.text.push(')');
        }
        self
    }

    /// The statement, ready to execute.
    pub(crate) fn query(self) -> DomainResult<sqlx::query::Query<'static, Any, AnyArguments>> {
        match self.error {
            Some(e) => Err(DomainError::Backend(format!("valor não codificável: {e}"))),
            None => Ok(sqlx::query_with(sqlx::AssertSqlSafe(self.text), self.args)),
        }
    }

    /// The statement, ready to fetch rows as `O`.
    pub(crate) fn query_as<O>(self) -> DomainResult<sqlx::query::QueryAs<'static, Any, O, AnyArguments>>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        match self.error {
            Some(e) => Err(DomainError::Backend(format!("valor não codificável: {e}"))),
            None => Ok(sqlx::query_as_with(sqlx::AssertSqlSafe(self.text), self.args)),
        }
    }
}
