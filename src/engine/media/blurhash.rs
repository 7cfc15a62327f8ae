//! BlurHash (<https://blurha.sh>): a few DCT components of a picture in a short string, so
//! a blurred placeholder shows before the picture has loaded. Written after the algorithm's
//! description and its Swift reference encoder (the maximum AC value quantised over 166,
//! sRGB rounded by truncating `x + 0.5`).

use image::RgbImage;

const DIGITS: &[u8; 83] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/// The blurhash of `pixels` with `x` × `y` components (each 1–9). Feed it a small picture:
/// the cost is pixels × components.
pub(super) fn encode(pixels: &RgbImage, x: u32, y: u32) -> String {
    let (x, y) = (x.clamp(1, 9) as usize, y.clamp(1, 9) as usize);
    let (width, height) = (pixels.width() as usize, pixels.height() as usize);
    let linear: Vec<[f64; 3]> = pixels.pixels().map(|p| p.0.map(srgb_to_linear)).collect();
    let mut factors = Vec::with_capacity(x * y);
    for j in 0..y {
        let cos_y: Vec<f64> = (0..height)
            .map(|py| (std::f64::consts::PI * j as f64 * py as f64 / height as f64).cos())
            .collect();
        for i in 0..x {
            let cos_x: Vec<f64> = (0..width)
                .map(|px| (std::f64::consts::PI * i as f64 * px as f64 / width as f64).cos())
                .collect();
            let mut sum = [0.0f64; 3];
            for (py, row) in linear.chunks(width.max(1)).enumerate() {
                for (px, colour) in row.iter().enumerate() {
                    let basis = cos_x[px] * cos_y[py];
                    for c in 0..3 {
                        sum[c] += basis * colour[c];
                    }
                }
            }
            let normalisation = if i == 0 && j == 0 { 1.0 } else { 2.0 };
            let scale = normalisation / (width * height).max(1) as f64;
            factors.push(sum.map(|s| s * scale));
        }
    }

    let mut hash = String::with_capacity(6 + 2 * factors.len());
    push83(&mut hash, ((x - 1) + (y - 1) * 9) as u32, 1);
    let (dc, ac) = factors.split_first().expect("at least one component");
    let maximum = if ac.is_empty() {
        push83(&mut hash, 0, 1);
        1.0
    } else {
        let actual = ac
            .iter()
            .flat_map(|f| f.iter())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let quantised = (actual * 166.0 - 0.5).floor().clamp(0.0, 82.0);
        push83(&mut hash, quantised as u32, 1);
        (quantised + 1.0) / 166.0
    };
    let dc = dc.map(linear_to_srgb);
    push83(&mut hash, (dc[0] << 16) + (dc[1] << 8) + dc[2], 4);
    for factor in ac {
        let q = factor.map(|v| {
            (sign_pow(v / maximum, 0.5) * 9.0 + 9.5)
                .floor()
                .clamp(0.0, 18.0) as u32
        });
        push83(&mut hash, q[0] * 19 * 19 + q[1] * 19 + q[2], 2);
    }
    hash
}

/// The largest picture [`decode`] makes: a placeholder is scaled up by the toolkit.
pub const MAX_DECODE_SIDE: u32 = 64;

/// The placeholder a blurhash describes, `width` × `height` pixels (each at most
/// [`MAX_DECODE_SIDE`]), as straight RGBA bytes; `None` when the hash is malformed.
pub fn decode(hash: &str, width: u32, height: u32) -> Option<Vec<u8>> {
    let (width, height) = (
        width.clamp(1, MAX_DECODE_SIDE) as usize,
        height.clamp(1, MAX_DECODE_SIDE) as usize,
    );
    let digits: Vec<u32> = hash.bytes().map(digit83).collect::<Option<_>>()?;
    let size = *digits.first()?;
    let (x, y) = ((size % 9 + 1) as usize, (size / 9 + 1) as usize);
    if digits.len() != 4 + 2 * x * y {
        return None;
    }
    let value = |from: usize, to: usize| digits[from..to].iter().fold(0u32, |v, d| v * 83 + d);
    let maximum = f64::from(digits[1] + 1) / 166.0;
    let dc = value(2, 6);
    let mut colours = Vec::with_capacity(x * y);
    colours.push([
        srgb_to_linear((dc >> 16) as u8),
        srgb_to_linear((dc >> 8) as u8),
        srgb_to_linear(dc as u8),
    ]);
    for i in 1..x * y {
        let v = value(4 + 2 * i, 6 + 2 * i);
        let q = [v / (19 * 19), (v / 19) % 19, v % 19];
        colours.push(q.map(|q| sign_pow((f64::from(q) - 9.0) / 9.0, 2.0) * maximum));
    }
    let mut out = Vec::with_capacity(width * height * 4);
    for py in 0..height {
        for px in 0..width {
            let mut sum = [0.0f64; 3];
            for j in 0..y {
                let cos_y = (std::f64::consts::PI * py as f64 * j as f64 / height as f64).cos();
                for i in 0..x {
                    let basis =
                        cos_y * (std::f64::consts::PI * px as f64 * i as f64 / width as f64).cos();
                    let colour = colours[i + j * x];
                    for c in 0..3 {
                        sum[c] += colour[c] * basis;
                    }
                }
            }
            for c in sum {
                out.push(linear_to_srgb(c).min(255) as u8);
            }
            out.push(u8::MAX);
        }
    }
    Some(out)
}

fn digit83(byte: u8) -> Option<u32> {
    DIGITS.iter().position(|&d| d == byte).map(|p| p as u32)
}

fn push83(hash: &mut String, value: u32, digits: u32) {
    for i in (0..digits).rev() {
        let digit = (value / 83u32.pow(i)) % 83;
        hash.push(char::from(DIGITS[digit as usize]));
    }
}

fn srgb_to_linear(value: u8) -> f64 {
    let v = f64::from(value) / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(value: f64) -> u32 {
    let v = value.clamp(0.0, 1.0);
    let srgb = if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (srgb * 255.0 + 0.5) as u32
}

fn sign_pow(value: f64, exp: f64) -> f64 {
    value.abs().powf(exp).copysign(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn single_colours_have_their_known_hashes() {
        // Black: every component is zero, each AC encoded as 9,9,9 ("fQ") under the
        // maximum digit 0, and the DC is 0 ("0000"). The size digit "L" is 3 + 2 × 9.
        let black = RgbImage::from_pixel(8, 6, Rgb([0, 0, 0]));
        assert_eq!(encode(&black, 4, 3), "L00000fQfQfQfQfQfQfQfQfQfQfQ");
        // One component: the size digit and the maximum are 0, the DC is 0xFF0000.
        let red = RgbImage::from_pixel(1, 1, Rgb([255, 0, 0]));
        assert_eq!(encode(&red, 1, 1), "00TI:j");
        // Not all "fQ": BlurHash's basis has no half-pixel offset, so a flat picture that
        // is not black still has AC components (the reference encoder agrees).
        let white = RgbImage::from_pixel(8, 6, Rgb([255, 255, 255]));
        assert_eq!(encode(&white, 4, 3), "LsTSUA_3fQ_3~qt7fQt7fQfQfQfQ");
    }

    #[test]
    fn a_gradient_matches_the_reference_encoder() {
        // Worked out with a straight port of the Swift reference encoder (f64).
        let gradient = RgbImage::from_fn(8, 6, |x, y| {
            Rgb([
                (x * 32) as u8,
                (y * 40) as u8,
                200 - (x * 10 + y * 10) as u8,
            ])
        });
        assert_eq!(encode(&gradient, 4, 3), REFERENCE_GRADIENT);
    }

    #[test]
    fn decoding_gives_back_the_colours() {
        let red = RgbImage::from_pixel(4, 4, Rgb([255, 0, 0]));
        let pixels = decode(&encode(&red, 1, 1), 2, 2).unwrap();
        assert_eq!(pixels, [255, 0, 0, 255].repeat(4));
        let halves = RgbImage::from_fn(32, 16, |x, _| {
            if x < 16 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let pixels = decode(&encode(&halves, 4, 3), 8, 4).unwrap();
        assert_eq!(pixels.len(), 8 * 4 * 4);
        // A blur of a sharp edge rings a little: compare the halves' averages.
        let average = |from: usize, to: usize, c: usize| {
            let values: Vec<u32> = pixels
                .chunks(4)
                .enumerate()
                .filter(|(i, _)| (from..to).contains(&(i % 8)))
                .map(|(_, p)| u32::from(p[c]))
                .collect();
            values.iter().sum::<u32>() / values.len() as u32
        };
        assert!(average(0, 4, 0) > average(0, 4, 2) + 80);
        assert!(average(4, 8, 2) > average(4, 8, 0) + 80);
        // Malformed: wrong length, a character outside the alphabet.
        assert_eq!(decode("L00000fQ", 4, 4), None);
        assert_eq!(decode("00TI:\"", 4, 4), None);
        assert_eq!(decode("", 4, 4), None);
    }

    const REFERENCE_GRADIENT: &str = "LjF=at3Fb1xvzQNNfSnUeuf9fRf8";
}
