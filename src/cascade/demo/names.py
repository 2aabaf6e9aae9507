"""Fixed lists for the demo and the generator: people's names, languages, the demo's sites.

Written out here (not drawn from Faker at run time) so that the same seed gives the same people on
every machine and every library version.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Abigail", "Adam", "Adebayo", "Aileen", "Alan", "Alice", "Amara", "Amelia", "Amir",
    "Andrew", "Angharad", "Anna", "Arjun", "Beatrice", "Ben", "Bethan", "Bogdan", "Callum",
    "Caroline", "Catrin", "Chidi", "Chloe", "Ciaran", "Claire", "Daniel", "Darius", "David",
    "Deborah", "Declan", "Eilidh", "Elena", "Eleanor", "Emeka", "Emily", "Eoin", "Farah",
    "Fatima", "Fiona", "Gareth", "Georgia", "Gwen", "Hamza", "Hannah", "Harriet", "Imran",
    "Ioana", "Isla", "Jack", "Jakub", "James", "Jasmine", "Joanna", "Joseph", "Kai",
    "Kamala", "Karen", "Katarzyna", "Kevin", "Kwame", "Laura", "Leila", "Liam", "Lucy",
    "Maeve", "Marcus", "Maria", "Mark", "Matthew", "Mei", "Mohammed", "Nadia", "Naomi",
    "Niamh", "Nikhil", "Olivia", "Oluwaseun", "Oscar", "Patrick", "Rachel", "Rahul", "Rebecca",
    "Rhys", "Rosa", "Ruth", "Samuel", "Sana", "Sarah", "Sean", "Simran", "Sophie", "Stefan",
    "Susan", "Tariq", "Thomas", "Una", "Victoria", "Wei", "William", "Yasmin", "Zainab",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Adeyemi", "Ahmed", "Ali", "Anderson", "Armstrong", "Atkinson", "Bailey", "Baker",
    "Banerjee", "Bell", "Bennett", "Brennan", "Brown", "Campbell", "Carter", "Chan", "Chen",
    "Clarke", "Collins", "Cooper", "Davies", "Dawson", "Doherty", "Edwards", "Evans",
    "Fernandes", "Fisher", "Fitzgerald", "Foster", "Gill", "Gordon", "Graham", "Green",
    "Hall", "Harris", "Hughes", "Hussain", "Iqbal", "Jackson", "James", "Jenkins", "Johnson",
    "Jones", "Kaur", "Kelly", "Kennedy", "Kowalski", "Lee", "Lewis", "Lloyd", "Macdonald",
    "Mahmood", "Martin", "Mensah", "Mitchell", "Moore", "Morgan", "Murphy", "Murray", "Nwosu",
    "O'Brien", "O'Connor", "Okonkwo", "Owen", "Palmer", "Parry", "Patel", "Phillips", "Popescu",
    "Price", "Pritchard", "Quinn", "Reid", "Rees", "Roberts", "Robinson", "Ross", "Shah",
    "Sharma", "Singh", "Smith", "Stewart", "Sullivan", "Taylor", "Thomas", "Thompson",
    "Turner", "Walker", "Walsh", "Ward", "Watson", "White", "Williams", "Wilson", "Wong",
    "Wood", "Wright", "Young", "Zielinski",
)  # fmt: skip

# Second languages heard on the wards of a British hospital group (ISO 639-1).
SECOND_LANGUAGES: tuple[str, ...] = (
    "cy", "pl", "ur", "pa", "pt", "ro", "es", "fr", "tl", "ml", "gu", "yo", "ar", "bn",
)  # fmt: skip


# --- Northbridge Health, the demo organisation ----------------------------------------------

REGIONS: tuple[tuple[str, str], ...] = (
    ("north", "North"),
    ("central", "Central"),
    ("south", "South"),
)
# region code -> sites (code, name) -> departments (code, name)
SITES: dict[str, tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]] = {
    "north": (
        (
            "hri",
            "Harrowgate Royal Infirmary",
            (
                ("ed", "Emergency Department"),
                ("amu", "Acute Medical Unit"),
                ("w7", "Ward 7 (Respiratory)"),
                ("icu", "Critical Care Unit"),
            ),
        ),
        (
            "kch",
            "Kelsby Community Hospital",
            (
                ("w2", "Ward 2 (Elderly Care)"),
                ("miu", "Minor Injuries Unit"),
                ("opd", "Outpatients"),
            ),
        ),
    ),
    "central": (
        (
            "ngh",
            "Northbridge General Hospital",
            (
                ("ed", "Emergency Department"),
                ("amu", "Acute Medical Unit"),
                ("mat", "Maternity"),
                ("thr", "Theatres"),
            ),
        ),
        (
            "ald",
            "Aldermoor Hospital",
            (
                ("w4", "Ward 4 (Surgical)"),
                ("w5", "Ward 5 (Orthopaedics)"),
                ("phy", "Physiotherapy"),
            ),
        ),
        (
            "scr",
            "St Cuthbert's Rehabilitation Centre",
            (
                ("str", "Stroke Rehabilitation"),
                ("ot", "Occupational Therapy"),
                ("w1", "Ward 1 (Neuro Rehabilitation)"),
            ),
        ),
    ),
    "south": (
        (
            "sdh",
            "Southmere District Hospital",
            (
                ("ed", "Emergency Department"),
                ("pae", "Paediatrics"),
                ("w9", "Ward 9 (Cardiology)"),
                ("icu", "Critical Care Unit"),
            ),
        ),
        (
            "fvh",
            "Fairhaven Hospital",
            (("day", "Day Surgery Unit"), ("onc", "Oncology Day Unit"), ("opd", "Outpatients")),
        ),
    ),
}

STAFF_TITLES: tuple[str, ...] = (
    "Staff Nurse", "Staff Nurse", "Staff Nurse", "Senior Staff Nurse", "Healthcare Assistant",
    "Healthcare Assistant", "Nursing Associate", "Junior Doctor", "Clinical Support Worker",
)  # fmt: skip
TITLES_BY_DEPARTMENT: dict[str, tuple[str, ...]] = {
    "mat": ("Staff Midwife", "Staff Midwife", "Maternity Support Worker", "Senior Midwife"),
    "phy": ("Physiotherapist", "Physiotherapist", "Senior Physiotherapist", "Therapy Assistant"),
    "ot": ("Occupational Therapist", "Senior Occupational Therapist", "Therapy Assistant"),
    "str": ("Physiotherapist", "Speech and Language Therapist", "Staff Nurse", "Therapy Assistant"),
    "thr": ("Theatre Practitioner", "Anaesthetic Practitioner", "Scrub Nurse", "Staff Nurse"),
    "pae": ("Children's Nurse", "Children's Nurse", "Play Specialist", "Healthcare Assistant"),
}
TRAINER_TITLES: tuple[str, ...] = ("Practice Educator", "Clinical Skills Facilitator")
