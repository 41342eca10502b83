//! Made-up but realistic artifacts: full-page screenshots of a web shop, visual diffs and
//! pytest files. Pixels come from a small deterministic generator so every demo looks
//! the same and no random-number crate is needed.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A xorshift generator: plenty for picking block sizes and "glyph" widths.
pub struct Dice(u64);

impl Dice {
    /// A generator that always rolls the same numbers for the same seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n.max(1))) as u32
    }
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, color: Rgb<u8>) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, color);
        }
    }
}

/// Lines of dark "words" of varying widths, so the PNG compresses like real text.
fn text(img: &mut RgbImage, dice: &mut Dice, x: u32, y: u32, width: u32, lines: u32) {
    for line in 0..lines {
        let mut cx = x;
        let end = x + width - dice.below(width / 3);
        while cx < end {
            let word = 12 + dice.below(60);
            let shade = 40 + dice.below(60) as u8;
            for gx in (cx..(cx + word).min(end)).step_by(2) {
                let top = y + line * 22 + dice.below(3);
                fill(
                    img,
                    gx,
                    top,
                    1 + dice.below(2),
                    10 + dice.below(4),
                    Rgb([shade, shade, shade + 10]),
                );
            }
            cx += word + 8;
        }
    }
}

/// A full-page screenshot of `width` × `height` pixels, encoded as PNG.
pub fn screenshot(seed: u64, width: u32, height: u32, accent: [u8; 3]) -> Vec<u8> {
    let mut dice = Dice::new(seed);
    let mut img = RgbImage::from_pixel(width, height, Rgb([250, 250, 252]));
    fill(&mut img, 0, 0, width, 64, Rgb(accent));
    text(&mut img, &mut dice, 24, 24, width / 3, 1);
    let mut y = 96;
    // Content blocks need room; a tiny picture (tests use some) keeps just its header.
    while width >= 240 && y + 200 < height {
        let columns = (1 + dice.below(3)).min(width / 240);
        let gap = 24;
        let column_width = (width - gap * (columns + 1)) / columns;
        let block = 140 + dice.below(260);
        for c in 0..columns {
            let x = gap + c * (column_width + gap);
            fill(&mut img, x, y, column_width, block, Rgb([255, 255, 255]));
            fill(&mut img, x, y, column_width, 3, Rgb(accent));
            if dice.below(3) == 0 {
                let tint = [
                    accent[0] / 2 + 100,
                    accent[1] / 2 + 100,
                    accent[2] / 2 + 100,
                ];
                fill(
                    &mut img,
                    x + 16,
                    y + 20,
                    column_width - 32,
                    block / 2,
                    Rgb(tint),
                );
                text(
                    &mut img,
                    &mut dice,
                    x + 16,
                    y + 30 + block / 2,
                    column_width - 32,
                    (block / 2 - 40) / 22,
                );
            } else {
                text(
                    &mut img,
                    &mut dice,
                    x + 16,
                    y + 24,
                    column_width - 32,
                    (block - 40) / 22,
                );
            }
        }
        y += block + gap;
    }
    fill(
        &mut img,
        0,
        height.saturating_sub(80),
        width,
        80,
        Rgb([40, 44, 52]),
    );
    encode(DynamicImage::ImageRgb8(img))
}

/// A visual diff: transparent except for the regions that changed, in magenta.
pub fn diff(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let mut dice = Dice::new(seed ^ 0xD1FF);
    let mut img = RgbaImage::from_pixel(width, height, Rgba([0, 0, 0, 0]));
    for _ in 0..(3 + dice.below(4)) {
        let w = (8 + dice.below(width / 2)).min(width);
        let h = (8 + dice.below(200)).min(height);
        let x = dice.below(width - w + 1);
        let y = dice.below(height.min(1600).max(h) - h + 1);
        for yy in y..y + h {
            for xx in x..x + w {
                let edge = yy == y || yy == y + h - 1 || xx == x || xx == x + w - 1;
                let alpha = if edge { 255 } else { 110 };
                img.put_pixel(xx, yy, Rgba([230, 0, 160, alpha]));
            }
        }
    }
    encode(DynamicImage::ImageRgba8(img))
}

fn encode(image: DynamicImage) -> Vec<u8> {
    let mut png = Vec::new();
    image
        .write_to(Cursor::new(&mut png), ImageFormat::Png)
        .expect("encoding a PNG into memory cannot fail");
    png
}

/// A generated pytest file that walks the given steps.
pub fn pytest(suite: &str, site: &str, steps: &[&str]) -> String {
    let mut out = format!(
        "\"\"\"Generated UI tests for {site}: suite {suite}.\n\nRe-generate instead of editing by hand.\n\"\"\"\n\nimport re\n\nimport pytest\nfrom playwright.sync_api import Page, expect\n\nBASE_URL = \"https://{site}\"\n\n\n@pytest.fixture(autouse=True)\ndef open_home(page: Page) -> None:\n    page.goto(BASE_URL, wait_until=\"networkidle\")\n"
    );
    for (i, step) in steps.iter().enumerate() {
        let slug: String = step
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        out.push_str(&format!(
            "\n\ndef test_{i:02}_{slug}(page: Page) -> None:\n    # Step {n}: {step}\n    page.get_by_role(\"link\", name=re.compile(r\"{step}\", re.I)).click()\n    expect(page).to_have_url(re.compile(r\".*\"))\n    assert page.title() != \"\", 'every page has a title'\n    page.screenshot(path=\"screenshots/{step}.png\", full_page=True)\n",
            n = i + 1
        ));
    }
    out
}
