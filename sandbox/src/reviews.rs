//! Product reviews: a few seeded, approved reviews per visible product (computed from the seed
//! when asked, so 100,000 products cost nothing until read) and the reviews shoppers write,
//! which wait for moderation as in Commerce (status "Pending": counted nowhere and listed only
//! under the author's `customer.reviews` until approved through
//! `POST /admin/reviews/approve`). One rating, Commerce's default "Rating" with values 1 to 5.

use std::sync::{Mutex, PoisonError};

use crate::catalog::{Catalog, mix};
use crate::clock;

/// Commerce's default rating entity: (rating id, name, option ids of the values 1..=5).
pub(crate) const RATING: (u32, &str, [u32; 5]) = (4, "Rating", [16, 17, 18, 19, 20]);

/// Reviews kept from shoppers (a bound on what clients can make the sandbox hold).
pub(crate) const MAX_CREATED: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Review {
    pub id: u32,
    /// Index of the visible product reviewed.
    pub product: u32,
    pub nickname: String,
    pub summary: String,
    pub text: String,
    /// 1 to 5 on the "Rating" rating, when given.
    pub rating: Option<u8>,
    pub created_at: String,
    pub customer: Option<u32>,
    pub approved: bool,
}

pub(crate) struct Reviews {
    seed: u64,
    created: Mutex<Vec<Review>>,
}

const NICKNAMES: [&str; 6] = ["Alex", "Sam", "Jordan", "Robin", "Casey", "Taylor"];
const SUMMARIES: [(&str, &str); 5] = [
    (
        "Not for me",
        "It did not hold up to what the description promised.",
    ),
    (
        "Could be better",
        "Works, but I expected more for the price.",
    ),
    ("Decent", "Does the job. Delivery was quick."),
    ("Very good", "Good quality and fits well. Would buy again."),
    ("Excellent", "Exactly what I was looking for, great value."),
];

impl Reviews {
    pub fn new(seed: u64) -> Reviews {
        Reviews {
            seed,
            created: Mutex::new(Vec::new()),
        }
    }

    /// The seeded reviews of a product: zero to four, ratings leaning positive.
    fn seeded(&self, product: u32) -> Vec<Review> {
        let h = mix(self.seed ^ 0x7e71 ^ u64::from(product).wrapping_mul(0x9e37_79b9));
        let count = (h % 5) as u32;
        (0..count)
            .map(|k| {
                let r = mix(h ^ u64::from(k));
                let stars = [3u8, 4, 4, 5, 5, 2][(r % 6) as usize];
                let (summary, text) = SUMMARIES[usize::from(stars - 1)];
                let days = clock::today() - 10 - i64::from((r >> 8) as u16 % 300);
                Review {
                    id: 1_000_000 + product * 8 + k,
                    product,
                    nickname: NICKNAMES[(r >> 20) as usize % NICKNAMES.len()].to_owned(),
                    summary: summary.to_owned(),
                    text: text.to_owned(),
                    rating: Some(stars),
                    created_at: format!("{} 10:00:00", clock::iso_date(days)),
                    customer: None,
                    approved: true,
                }
            })
            .collect()
    }

    fn created(&self) -> std::sync::MutexGuard<'_, Vec<Review>> {
        self.created.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A product's approved reviews, newest first.
    pub fn of_product(&self, product: u32) -> Vec<Review> {
        let mut reviews: Vec<Review> = self
            .created()
            .iter()
            .filter(|r| r.product == product && r.approved)
            .rev()
            .cloned()
            .collect();
        reviews.extend(self.seeded(product));
        reviews
    }

    /// `rating_summary` (the average rating in percent, 0 without ratings) and `review_count`.
    pub fn summary(&self, product: u32) -> (f64, usize) {
        let reviews = self.of_product(product);
        let ratings: Vec<f64> = reviews
            .iter()
            .filter_map(|r| r.rating)
            .map(f64::from)
            .collect();
        let percent = if ratings.is_empty() {
            0.0
        } else {
            (ratings.iter().sum::<f64>() / ratings.len() as f64 * 20.0).round()
        };
        (percent, reviews.len())
    }

    /// The reviews a customer wrote, newest first, pending ones included.
    pub fn of_customer(&self, customer: u32) -> Vec<Review> {
        self.created()
            .iter()
            .filter(|r| r.customer == Some(customer))
            .rev()
            .cloned()
            .collect()
    }

    /// Stores a new, pending review; `None` when the sandbox holds its maximum.
    pub fn add(&self, mut review: Review) -> Option<Review> {
        let mut created = self.created();
        if created.len() >= MAX_CREATED {
            return None;
        }
        review.id = u32::try_from(created.len() + 1).unwrap_or(u32::MAX);
        review.approved = false;
        review.created_at = clock::datetime(clock::now());
        created.push(review.clone());
        Some(review)
    }

    /// Approves every pending review (what a moderator does in the admin); how many.
    pub fn approve_all(&self) -> usize {
        let mut created = self.created();
        let pending = created.iter().filter(|r| !r.approved).count();
        created.iter_mut().for_each(|r| r.approved = true);
        pending
    }

    /// Whether `product` is a visible product of the catalog.
    pub fn reviewable(catalog: &Catalog, product: u32) -> bool {
        (product as usize) < catalog.products.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(product: u32) -> Review {
        Review {
            id: 0,
            product,
            nickname: "N".into(),
            summary: "S".into(),
            text: "T".into(),
            rating: Some(1),
            created_at: String::new(),
            customer: Some(1),
            approved: true,
        }
    }

    #[test]
    fn a_new_review_counts_only_once_approved() {
        let reviews = Reviews::new(1);
        let before = reviews.summary(3);
        let added = reviews.add(review(3)).expect("added");
        assert!(!added.approved);
        assert_eq!(reviews.summary(3), before, "pending reviews count nowhere");
        assert_eq!(reviews.of_customer(1).len(), 1);
        assert_eq!(reviews.approve_all(), 1);
        let (_, count) = reviews.summary(3);
        assert_eq!(count, before.1 + 1);
    }

    #[test]
    fn seeded_reviews_are_stable_and_their_summary_matches_them() {
        let reviews = Reviews::new(7);
        for product in 0..50 {
            let list = reviews.of_product(product);
            assert_eq!(list, reviews.of_product(product));
            let (percent, count) = reviews.summary(product);
            assert_eq!(count, list.len());
            assert_eq!(percent == 0.0, list.is_empty());
        }
    }
}
