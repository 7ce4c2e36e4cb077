//! Walking what hcl-edit parses. Its own iterators (`Body::iter`, `attributes`, `blocks`,
//! `get_blocks`, `Array::iter`, `Template::iter`) are boxed: an allocation on each call,
//! and loading, evaluation and the rules call them on every body, list and template of
//! every file. These index instead.

use hcl_edit::expr::{Array, Expression};
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::template::{Element, Template};

/// The attributes and blocks of a body, in order.
pub fn structures(body: &Body) -> impl Iterator<Item = &Structure> {
    (0..body.len()).filter_map(|i| body.get(i))
}

pub fn attributes(body: &Body) -> impl Iterator<Item = &Attribute> {
    structures(body).filter_map(Structure::as_attribute)
}

pub fn blocks(body: &Body) -> impl Iterator<Item = &Block> {
    structures(body).filter_map(Structure::as_block)
}

/// The blocks of a body named `ident` (`resource`, `variable`, ...).
pub fn blocks_named<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> {
    blocks(body).filter(move |block| block.ident.as_str() == ident)
}

pub fn items(array: &Array) -> impl Iterator<Item = &Expression> {
    (0..array.len()).filter_map(|i| array.get(i))
}

pub fn elements(template: &Template) -> impl Iterator<Item = &Element> {
    (0..template.len()).filter_map(|i| template.get(i))
}
