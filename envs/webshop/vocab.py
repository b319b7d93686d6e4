"""The words the synthetic catalogue is made of: categories, product types, attributes, options.

Kept apart from the generator so the vocabulary can be read (and extended) at a glance. Every
option vocabulary is disjoint from the others, so a clicked value names its option type
unambiguously on any product page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductType:
    """A kind of product ("lipstick"): its category, option types and typical price."""

    name: str
    category: str
    options: tuple[str, ...]
    base_price: float


OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "color": ("black", "white", "red", "blue", "navy", "green", "pink", "purple", "gray",
              "brown", "beige", "coral", "gold", "silver", "teal", "ivory"),
    "size": ("x-small", "small", "medium", "large", "x-large", "xx-large"),
    "volume": ("1 fl oz", "2 fl oz", "3.4 fl oz", "8 fl oz", "16 fl oz"),
    "flavor": ("vanilla", "chocolate", "peanut butter", "mint", "original", "caramel",
               "mixed berry", "lemon", "cinnamon", "sea salt"),
    "count": ("pack of 1", "pack of 2", "pack of 3", "pack of 6", "pack of 12"),
    "scent": ("lavender", "unscented", "citrus", "rose", "coconut", "eucalyptus", "sandalwood"),
    "length": ("3 ft", "6 ft", "10 ft", "15 ft"),
    "capacity": ("5000mah", "10000mah", "20000mah", "26800mah"),
    "shoe size": ("6", "7", "7.5", "8", "8.5", "9", "10", "11", "12"),
    "weight": ("8 ounce", "12 ounce", "1 pound", "2 pound", "5 pound"),
    "dimensions": ("16x16 inch", "18x18 inch", "20x20 inch", "3x5 ft", "5x7 ft", "8x10 ft"),
}

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "beauty": ("long lasting", "cruelty free", "paraben free", "vegan", "hypoallergenic",
               "fragrance free", "waterproof", "natural ingredients", "dermatologist tested",
               "travel size", "sulfate free", "oil free"),
    "electronics": ("wireless", "fast charging", "noise cancelling", "water resistant",
                    "lightweight", "long battery life", "usb c", "shockproof", "high speed",
                    "ergonomic design", "backlit", "compact"),
    "grocery": ("gluten free", "organic", "sugar free", "non gmo", "low calorie", "keto friendly",
                "high protein", "caffeine free", "kosher", "plant based", "dairy free",
                "individually wrapped"),
    "fashion": ("machine washable", "moisture wicking", "slim fit", "breathable", "quick dry",
                "non slip", "relaxed fit", "soft cotton", "wrinkle free", "lightweight fabric",
                "elastic waist", "adjustable strap"),
    "home": ("easy clean", "non toxic", "eco friendly", "space saving", "heavy duty", "handmade",
             "stain resistant", "soft touch", "easy assembly", "fade resistant", "decorative",
             "bpa free"),
}

STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "beauty": ("Matte", "Classic", "Professional", "Everyday", "Luxe", "Daily", "Salon"),
    "electronics": ("Pro", "Ultra", "Mini", "Max", "Smart", "Slim", "Elite"),
    "grocery": ("Premium", "Artisan", "Classic", "Family", "Gourmet", "Farmhouse", "Select"),
    "fashion": ("Classic", "Essential", "Athletic", "Vintage", "Everyday", "Urban", "Active"),
    "home": ("Modern", "Rustic", "Cozy", "Minimalist", "Classic", "Boho", "Deluxe"),
}

AUDIENCES: dict[str, tuple[str, ...]] = {
    "beauty": ("for Women", "for Men", "for Sensitive Skin", "for All Skin Types", ""),
    "electronics": ("for iPhone", "for Android", "for Laptop", "for Travel", ""),
    "grocery": ("for Breakfast", "for Snacking", "for Baking", "for the Office", ""),
    "fashion": ("for Women", "for Men", "for Kids", "Unisex", ""),
    "home": ("for Living Room", "for Bedroom", "for Kitchen", "for Bathroom", ""),
}

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType("lipstick", "beauty", ("color",), 14.0),
    ProductType("nail polish", "beauty", ("color", "count"), 9.0),
    ProductType("eyeliner", "beauty", ("color",), 11.0),
    ProductType("shampoo", "beauty", ("volume", "scent"), 13.0),
    ProductType("hair conditioner", "beauty", ("volume", "scent"), 13.0),
    ProductType("face moisturizer", "beauty", ("volume",), 22.0),
    ProductType("sunscreen lotion", "beauty", ("volume", "count"), 16.0),
    ProductType("body wash", "beauty", ("scent", "volume"), 10.0),
    ProductType("wireless headphones", "electronics", ("color",), 55.0),
    ProductType("phone case", "electronics", ("color",), 15.0),
    ProductType("bluetooth speaker", "electronics", ("color",), 40.0),
    ProductType("charging cable", "electronics", ("length", "count"), 12.0),
    ProductType("power bank", "electronics", ("capacity", "color"), 30.0),
    ProductType("mechanical keyboard", "electronics", ("color",), 70.0),
    ProductType("computer mouse", "electronics", ("color",), 25.0),
    ProductType("smart watch band", "electronics", ("color", "size"), 14.0),
    ProductType("coffee beans", "grocery", ("flavor", "weight"), 16.0),
    ProductType("protein bar", "grocery", ("flavor", "count"), 20.0),
    ProductType("herbal tea", "grocery", ("flavor", "count"), 8.0),
    ProductType("trail mix", "grocery", ("flavor", "weight"), 11.0),
    ProductType("olive oil", "grocery", ("volume", "count"), 18.0),
    ProductType("hot sauce", "grocery", ("flavor", "count"), 7.0),
    ProductType("granola", "grocery", ("flavor", "weight"), 9.0),
    ProductType("dark chocolate", "grocery", ("flavor", "count"), 12.0),
    ProductType("t-shirt", "fashion", ("color", "size"), 18.0),
    ProductType("running shoes", "fashion", ("color", "shoe size"), 65.0),
    ProductType("hoodie", "fashion", ("color", "size"), 35.0),
    ProductType("yoga pants", "fashion", ("color", "size"), 28.0),
    ProductType("ankle socks", "fashion", ("color", "count"), 12.0),
    ProductType("baseball cap", "fashion", ("color",), 16.0),
    ProductType("rain jacket", "fashion", ("color", "size"), 50.0),
    ProductType("leather belt", "fashion", ("color", "size"), 22.0),
    ProductType("throw pillow cover", "home", ("color", "dimensions"), 15.0),
    ProductType("bath towel set", "home", ("color", "count"), 30.0),
    ProductType("scented candle", "home", ("scent", "count"), 18.0),
    ProductType("storage basket", "home", ("color", "count"), 24.0),
    ProductType("wall clock", "home", ("color",), 27.0),
    ProductType("bed sheet set", "home", ("color", "size"), 40.0),
    ProductType("desk lamp", "home", ("color",), 32.0),
    ProductType("area rug", "home", ("color", "dimensions"), 80.0),
)

CATEGORIES: tuple[str, ...] = tuple(sorted({t.category for t in PRODUCT_TYPES}))

# Syllables brand names are built from (two or three per brand).
BRAND_SYLLABLES: tuple[str, ...] = (
    "ar", "bel", "cor", "da", "el", "fen", "gra", "hal", "is", "jun", "ka", "lum", "mor",
    "nov", "or", "pel", "qua", "ros", "sil", "tor", "ul", "ven", "wes", "xa", "yor", "zen",
)
