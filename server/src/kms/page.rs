//! Listings, a page at a time.

use crate::kms::error::{Argument, Error, Result};
use crate::kms::rules::PAGE_SIZES;

/// Which page of a listing a request asks for, as given (checked by [`Paging::offset`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The page number, from 1.
    pub number: i64,
    /// Items per page.
    pub size: i64,
}

impl Paging {
    /// The first item of the page, after checking the numbers.
    pub fn offset(self) -> Result<(u64, u64)> {
        let number = u64::try_from(self.number)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Error::invalid(Argument::PageNumber, "must be 1 or more"))?;
        let size = u64::try_from(self.size)
            .ok()
            .filter(|s| PAGE_SIZES.contains(s))
            .ok_or_else(|| {
                Error::invalid(
                    Argument::PageSize,
                    format!(
                        "must be from {} to {}",
                        PAGE_SIZES.start(),
                        PAGE_SIZES.end()
                    ),
                )
            })?;
        let offset = (number - 1)
            .checked_mul(size)
            .ok_or_else(|| Error::invalid(Argument::PageNumber, "is too large"))?;
        Ok((offset, size))
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many there are in all.
    pub total: u64,
    /// This page's number, from 1.
    pub page_number: u64,
    /// Items per page.
    pub page_size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_bounds() {
        let page = |number, size| Paging { number, size }.offset();
        assert_eq!(page(1, 10).unwrap(), (0, 10));
        assert_eq!(page(3, 100).unwrap(), (200, 100));
        for (number, size) in [(0, 10), (-1, 10), (1, 0), (1, 101), (i64::MAX, 100)] {
            assert!(page(number, size).is_err(), "{number} {size}");
        }
    }
}
