//! The demo OpenID Provider's signing key: an RSA 2048 key (PKCS#1 DER, base64) generated for
//! this repository and published here on purpose. DEMO ONLY: anyone can sign id_tokens with it, so
//! a BFF must never trust this provider outside a demo or a test. Its public half is served at
//! `/oidc/jwks` under [`KEY_ID`].

/// `kid` of the demo key in the JWKS and in every id_token header.
pub(crate) const KEY_ID: &str = "sandbox-demo-rs256-1";

/// The private key, PKCS#1 DER in standard base64.
pub(crate) const DEMO_RSA_KEY_PKCS1: &str = concat!(
    "MIIEpAIBAAKCAQEA7SI1ZvOSkDSNtiUX5jzPIOUf5jxTRo2AnFYRvZPFyogmonW9avbW6nMam88ti4L/tpGDtVUZ",
    "lihV1VDdWPrUD+EqMm/fav/ESvpzOOclQN62bKW2qIBouGySEu+7vsSc6n9Cdnx3A2b7AgW7xARBr7B2KIhCZKn9",
    "h8B7DZbhQAAN4N93NKJFgVT8PuX+1aT0qS5leeTrsV0WHb+4KmzTP1PLH2HBtsCDPOLSqd0YfBMdhZePHPLkMk8D",
    "a0tWBZd0VDpnuBSXrP2ZMFrnF353mreGEEMBLmqvrGuSYzSBGxxqGoB9A2IVPKyWvWa4+LKzC61Hvez60LQ8wV0s",
    "cH6j5wIDAQABAoIBAEiKPmvP9vXGHdOqZTU5RON7M9bqfU8H2l/4tFSZ79eU7ryj593gxL3TmEAxkG0tFaxztyax",
    "cbJNhHRM2Glv0Y9KAe6L6nyA4TtOghDWJL9DYeq6hrXlEiPYkpbYX0ZsPtQ9OcelK4MO7Zogxt+frbhg8sRTanwA",
    "xF3Ss9HkZeN9ifDrASXEExtbSmXtNUvl3bMcBGO8yqUYSJKIvJ/6f9oBXd6tOgDrSwlPCD9l4hY8bJiDQPF9lh7k",
    "dpBsemcisURv8Ph7QprfmdxMlz9OjeE1l1bEKJftuoZHNtpcisYlvWKy+ovN+cO9R6tATy4znFpD9zNAbj0UYSsy",
    "lnmI24ECgYEA/g7bBnZiu2rG26zyO6k7oCWELQPjsP0EkX+KRpAqQ/QdveDyphcBs35B+ev/u9hSgAikCZ9N+yzC",
    "hj3j6fa+XORHWP6lKTIVrD1V1dKTJr6jtfvbcGWDc4WGBOCnNFrOMAPKy9zsIToalyAiFaO6fAx+J6yFQ2qwTBCX",
    "tm6at+0CgYEA7vI8MMjOPRIUsZ1L4X/U4Pb5zjka/jRpGM8FpWLNFXe8LsAHaX1ajA8zubTmINOUcrltyD1OL42w",
    "LGmi8TjEwfHf/NeEVXnbMqvWcIenhV7Kj5B6XsdkcgnczdjufFItFWjWaq3PKlWiZuLV+Sk2MLC5oOUtQ8qAl2mf",
    "pG9oqKMCgYEA1YBgef7VHBEwin29l3uxuvSsLjQ9jYgj5a4b4w7WJgMpV1+KKx/ccx4gjcnRQOga9LPOPrPckb9c",
    "vfmW5hBQi7nfZ5+f5o3LftKQpr9uoDnHVHESSVNV86f7J3Avs6S378vQCiBfY9DzdZswaaUNW6AYCHlICI7JFzM+",
    "e7ZZWUUCgYEA4+YgKHtt0WusVxdqp0IQHR0Sd3GZ4DjGwIW7odlRN5eC4af/qcqIkStyrz3tfAOxA5b+MUzfhJWE",
    "IWgDpET7zOtQMkywCAJ4YaTpm1yXF6qoUjN/s2RD1ky3z5GHLQYHv/LFBuyNuZgBlFXntYRsDhaQhffvq0e6TC/O",
    "trwXuzcCgYBhd3SHAm3XE1n/0YHVhGJHMNqPd4XJN1FarN4bXpgNmKAHA/O/k/gARVWm57G+2wB1b/+JZ8awELAc",
    "FObmkLSdGsYodz+Oiq5haE+qJuLU6zRS6OLByg1pnM/RDKc9FiRjsxEZUEHyX/ybo/54B7tjk72iJwsOcxAmBY1w",
    "7o4PJw==",
);
