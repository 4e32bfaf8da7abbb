"""Every assumption of the transit engine, in one frozen dataclass.

Times are minutes, speeds km/h, distances metres.  ``docs/transit.md`` has the
table of values and sources; override any with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geodata.travel.crowfly import CrowflySettings

__all__ = ["OPERATOR_HEADWAY_MIN", "RAIL_MODES", "RailSettings", "TransitSettings", "wait_seconds"]

#: Modes that board from a platform (the larger boarding allowance).
RAIL_MODES = frozenset({"tube", "dlr", "elizabeth", "overground", "rail"})


#: Default daytime headway (minutes) per operator, for a timetable whose frequencies
#: cannot be counted (a sample).  An operator-level line means "the next train of this
#: operator in the direction wanted": London's suburban operators run 2-4 trains an hour
#: on each route and more through the shared inner sections (Southeastern, Southern,
#: South Western, Thameslink, Great Northern, c2c, Heathrow and Gatwick Express: 15 min);
#: Greater Anglia, Chiltern and GWR mostly 2 an hour within London (30 min); other
#: operators are long-distance (``other_headway_min``).  Assumed, not counted: check a
#: full feed (``timetable: dated``), which counts them.
OPERATOR_HEADWAY_MIN: dict[str, float] = {
    "SE": 15.0,
    "SN": 15.0,
    "SW": 15.0,
    "TL": 15.0,
    "GN": 15.0,
    "CC": 15.0,
    "HX": 15.0,
    "GX": 15.0,
    "LE": 30.0,
    "CH": 30.0,
    "GW": 30.0,
}


@dataclass(frozen=True)
class RailSettings:
    """How National Rail enters the stop graph (part of ``TransitSettings``)."""

    #: ``auto``, ``dated`` or ``pooled`` (see the module docstring)
    timetable: str = "auto"
    #: first day of the service week (``YYYY-MM-DD``); default the feed's first valid day
    service_date: str | None = None
    #: ``auto`` treats a file as a sample (``pooled``) when it holds fewer schedules than
    #: this: the national feed holds several hundred thousand, the pack's sample 20,000
    sample_max_schedules: int = 50_000
    #: departures are counted in this many minutes centred on the band's time
    window_min: float = 60.0
    #: pooled: default headway per operator, minutes
    operator_headway_min: tuple[tuple[str, float], ...] = tuple(OPERATOR_HEADWAY_MIN.items())
    #: pooled: headway of operators not in ``operator_headway_min``
    other_headway_min: float = 30.0
    #: pooled: headway of every operator at night (Thameslink and a few others run
    #: through the night about hourly)
    night_headway_min: float = 60.0
    #: operators left out because the TfL files already model them: London Overground
    #: (CASA network), TfL Rail (the Elizabeth line), London Underground
    skip_operators: tuple[str, ...] = ("LO", "XR", "LT")
    #: dated: a headway is never taken as longer than this (a single train in the
    #: window is a lower bound on the service, not an hourly one)
    max_headway_min: float = 120.0
    #: pooled, by day: shorten an operator's default headway at a station where the
    #: sample's own departures, counted on its busiest day (the date on which most of its
    #: schedules run: Saturday 21 March 2020 for the pack's) between these minutes after
    #: midnight towards the busiest next station, show a more frequent service.  A
    #: truncated sample's counts are lower bounds, so a count never lengthens a default.
    #: ``(0, 0)``: defaults only
    count_window: tuple[float, float] = (600.0, 960.0)


@dataclass(frozen=True)
class TransitSettings:
    """Every assumption of the transit engine; override with :func:`dataclasses.replace`.

    Times are minutes, speeds km/h, distances metres (straight line unless stated).
    ``docs/transit.md`` has the table of values and sources.
    """

    # --- walking ---------------------------------------------------------------
    #: walking speed, km/h: the usual planning figure, also TfL's PTAL method (as crowfly)
    walk_kmh: float = 4.8
    #: walked distance / straight-line distance (the crowfly engine's calibrated figure)
    walk_detour: float = CrowflySettings.walk_detour
    #: walking the whole way: the detour factor by distance (km, factor), as the crowfly
    #: engine's, so no transit time exceeds the walk the crowfly engine reports
    walk_detour_km: tuple[tuple[float, float], ...] = CrowflySettings.walk_detour_km
    #: longest walk to the first stop or from the last stop, straight line.  TfL's PTAL
    #: counts bus stops within 640 m and rail stations within 960 m *walked*; 800 m
    #: straight line (about 1 km and 13 min walked) sits between the two
    max_access_m: float = 800.0
    #: beyond ``max_access_m``, a resident also walks to this many nearest stops, as far
    #: as it takes (up to the cutoff): nobody is stranded by the radius.  "Unreachable"
    #: then means nothing open can be reached within ``cutoff_min`` at all
    access_nearest: int = 8
    #: walks (access, egress, transfers, walking the whole way) that cross the Thames go
    #: by a crossing (geodata.travel.barrier); needs the borough layer
    thames_barrier: bool = True
    #: stops closer than this are joined by walking transfers (about 4 min walked)
    transfer_m: float = 250.0

    # --- boarding --------------------------------------------------------------
    #: added to the wait at every bus, tram or river boarding: reaching the stop
    #: pole, the bus pulling in, boarding and paying (an allowance, not measured)
    board_penalty_min: float = 1.0
    #: added at every Tube, DLR, Elizabeth line or Overground boarding: street or
    #: interchange passage to platform (the Tube file's run times exclude this)
    rail_board_penalty_min: float = 2.0

    # --- in-vehicle speeds where the data gives no run time ---------------------
    #: scheduled bus speed by day incl. stops: TfL bus speed statistics put London's
    #: average at about 11-15 km/h (7-9 mph), slowest in the centre; we take 11
    bus_day_kmh: float = 11.0
    #: night buses run on empty roads; about 1.5x the day figure
    bus_night_kmh: float = 16.0
    #: Tramlink (tram routes T1-T4 in the bus sequences file), including stops:
    #: assumed (no tram timetable in the pack), about twice the day bus speed
    tram_kmh: float = 20.0
    #: river buses (RB routes): about 25 km/h including pier calls
    river_kmh: float = 25.0
    #: Overground (GraphML gives lengths only): calibrated on the 16 Overground edges
    #: that also appear in the Tube file with run times (34.0 km/h); see docs
    overground_kmh: float = 34.0

    #: DLR links the Tube file lacks (the Woolwich Arsenal and Stratford International
    #: branches, Langdon Park), at the file's own DLR speed: its 34 DLR links total
    #: 24.3 km straight line in 68 min, 21.5 km/h
    dlr_kmh: float = 21.5

    # --- waits -------------------------------------------------------------------
    #: a wait is half the headway (passengers arriving at random) for services every
    #: ``planned_wait_from_min`` minutes or more often; for less frequent (timetabled)
    #: services passengers time their arrival by the timetable, and the wait is
    #: ``planned_wait_base_min`` + ``planned_wait_slope`` x the headway (never more than
    #: half): the linear model W = 2.0 + 0.3 H fitted to waits observed at bus stops in
    #: Austin, Texas, which found arrivals random up to a 10-min headway (Fan and
    #: Machemehl 2002, "Characterizing bus transit passenger waiting times", 2nd
    #: Material Specialty Conference of the CSCE).  A 15-min train waits 6.5 min (7.5
    #: at half), a 20-min bus 8 (10), a 60-min night train 20 (30).  0: always half
    planned_wait_from_min: float = 10.0
    planned_wait_base_min: float = 2.0
    planned_wait_slope: float = 0.3

    # --- headways (minutes between departures; the wait is half) ----------------
    #: bus headways per route come from TfL's QSI file (2 x the scheduled wait of each
    #: high-frequency route) when it is in the pack; False uses the flat figures below
    use_qsi: bool = True
    #: a timetabled ("low-frequency") route in the QSI file has no headway there; TfL
    #: classes routes with fewer than 5 buses an hour as low-frequency, typically every
    #: 15-30 min: assumed 20
    bus_low_frequency_headway_min: float = 20.0
    #: the 24-hour day routes at night: their night portions are all low-frequency in
    #: the QSI file (no headway given); TfL's 24-hour routes mostly run every 15-30 min
    #: overnight: assumed 20
    bus_24h_night_headway_min: float = 20.0
    #: a typical daytime London bus route runs every 6-12 min off-peak
    bus_day_headway_min: float = 9.0
    #: night buses (N routes) mostly run every 20-30 min
    bus_night_headway_min: float = 25.0
    #: Tramlink off-peak, every 10 min on each route
    tram_headway_min: float = 10.0
    #: river buses, roughly every 20 min
    river_headway_min: float = 20.0
    #: Tube lines off-peak, every 3-5 min on the trunk sections
    tube_day_headway_min: float = 4.0
    #: Night Tube: "every 10 minutes on average" (TfL), 20 on some branches
    tube_night_headway_min: float = 10.0
    #: DLR off-peak, every 5-8 min on each route
    dlr_headway_min: float = 6.0
    #: Elizabeth line off-peak, 12 trains an hour in the central section
    elizabeth_headway_min: float = 5.0
    #: Overground off-peak, 4-8 trains an hour on most lines (see overrides)
    overground_day_headway_min: float = 10.0
    #: Night Overground (Highbury & Islington - New Cross Gate), every 15 min (TfL)
    overground_night_headway_min: float = 15.0
    #: daytime headways of named lines that differ from their mode's figure:
    #: Liberty 2 trains/h, Lioness 3/h, Suffragette and Weaver 4/h per branch
    line_headway_min: tuple[tuple[str, float], ...] = (
        ("Liberty", 30.0),
        ("Lioness", 20.0),
        ("Suffragette", 15.0),
        ("Weaver", 15.0),
    )

    # --- what runs when ----------------------------------------------------------
    #: bus routes whose name matches this are night routes (TfL prefixes them with N)
    night_routes_regex: str = r"^N\d+[A-Z]?$"
    #: day routes that also run all night; None = the QSI file's 56 24-hour routes
    #: (none without the file); a list overrides it
    night_24h_routes: tuple[str, ...] | None = None
    #: routes in the bus sequences file that are not regular public services:
    #: UL = Underground rail-replacement buses, RT = river tours, 6xx = school-day
    #: routes (not running at noon or at night), 23A = the once-a-year Imberbus
    excluded_routes_regex: str = r"^(UL\d+|RT\d+|6\d\d|23A)$"
    #: Tramlink routes in the bus sequences file (all their stops are "virtual")
    tram_routes_regex: str = r"^T\d+$"
    #: river bus routes in the bus sequences file
    river_routes_regex: str = r"^RB"
    #: lines that run all night on Friday and Saturday nights: the Night Tube lines
    #: and the Night Overground on the East London line (today's Windrush line)
    night_tube_lines: tuple[str, ...] = (
        "Victoria",
        "Jubilee",
        "Central",
        "Northern",
        "Piccadilly",
        "Windrush",
    )
    #: nights with the Night Tube, as ``TimeBand.night_of`` (4 Friday, 5 Saturday)
    night_tube_nights: tuple[int, ...] = (4, 5)
    #: stations each Night Tube line does not serve at night (TfL Night Tube map):
    #: Central only Ealing Broadway - Hainault/Loughton; Northern only via Charing
    #: Cross, not Mill Hill East or Battersea; Piccadilly not T4 or the Uxbridge
    #: branch; Night Overground only Highbury & Islington - New Cross Gate
    night_closed_stations: tuple[tuple[str, tuple[str, ...]], ...] = (
        (
            "Central",
            (
                "Hanger Lane",
                "Perivale",
                "Greenford",
                "Northolt",
                "South Ruislip",
                "Ruislip Gardens",
                "West Ruislip",
                "Debden",
                "Theydon Bois",
                "Epping",
                "Roding Valley",
                "Chigwell",
                "Grange Hill",
            ),
        ),
        (
            "Northern",
            (
                "Mill Hill East",
                "King's Cross St. Pancras",
                "Angel",
                "Old Street",
                "Moorgate",
                "Bank",
                "London Bridge",
                "Borough",
                "Elephant & Castle",
                "Nine Elms",
                "Battersea Power Station",
            ),
        ),
        (
            "Piccadilly",
            (
                "Heathrow Terminal 4",
                "Ealing Common",
                "North Ealing",
                "Park Royal",
                "Alperton",
                "Sudbury Town",
                "Sudbury Hill",
                "South Harrow",
                "Rayners Lane",
                "Eastcote",
                "Ruislip Manor",
                "Ruislip",
                "Ickenham",
                "Hillingdon",
                "Uxbridge",
            ),
        ),
        (
            "Windrush",
            (
                "New Cross",
                "Brockley",
                "Honor Oak Park",
                "Forest Hill",
                "Sydenham",
                "Crystal Palace",
                "Penge West",
                "Anerley",
                "Norwood Junction",
                "West Croydon",
                "Queens Road Peckham",
                "Peckham Rye",
                "Denmark Hill",
                "Clapham High Street",
                "Wandsworth Road",
                "Clapham Junction",
                "Battersea Park",
            ),
        ),
    )

    # --- National Rail (a CIF timetable; geodata.travel._rail) ---------------------
    #: National Rail from the CIF timetable when one is found (the pack's network/rail/)
    rail: bool = True
    #: ``auto``, ``dated`` or ``pooled``; auto reads a file with fewer than
    #: ``rail_sample_max_schedules`` schedules as a sample (pooled)
    rail_timetable: str = "auto"
    #: first day of the service week, YYYY-MM-DD (default: the feed's first valid day)
    rail_service_date: str | None = None
    rail_sample_max_schedules: int = 50_000
    #: departures are counted in this many minutes around the band's time (dated), and
    #: a pooled night network keeps the links a train runs in this window
    rail_window_min: float = 60.0
    #: pooled (sample) timetable: default headway per operator, minutes (see _rail.py);
    #: others get ``rail_other_headway_min``; every operator ``rail_night_headway_min`` at night
    rail_operator_headway_min: tuple[tuple[str, float], ...] = (
        ("SE", 15.0),
        ("SN", 15.0),
        ("SW", 15.0),
        ("TL", 15.0),
        ("GN", 15.0),
        ("CC", 15.0),
        ("HX", 15.0),
        ("GX", 15.0),
        ("LE", 30.0),
        ("CH", 30.0),
        ("GW", 30.0),
    )
    rail_other_headway_min: float = 30.0
    rail_night_headway_min: float = 60.0
    #: operators the TfL files already model: London Overground (CASA links), TfL Rail
    #: (the Elizabeth line), London Underground
    rail_skip_operators: tuple[str, ...] = ("LO", "XR", "LT")
    #: pooled (a sample), by day: the window (minutes after midnight, 10:00-16:00, off-peak)
    #: in which the sample's own departures on its busiest day are counted; where they
    #: show a more frequent service at a station than the operator's default headway,
    #: the count is used there (counts from a truncated file are lower bounds: they
    #: shorten a default, never lengthen it).  ``[0, 0]``: the defaults everywhere
    rail_count_window: tuple[float, float] = (600.0, 960.0)

    # --- GTFS ----------------------------------------------------------------------
    #: GTFS headways: departures are counted in a window of this many minutes
    #: centred on the band's time, at each stop of a line; headway = window / median
    gtfs_window_min: float = 60.0

    # --- output ----------------------------------------------------------------------
    #: times beyond this many minutes are ``inf``
    cutoff_min: float = 180.0

    @property
    def walk_mps(self) -> float:
        """Effective walking speed over straight-line distance, m/s (speed / detour)."""
        return self.walk_kmh / 3.6 / self.walk_detour

    def headway_min(self, mode: str, line: str, *, night: bool) -> float:
        """The assumed headway of ``line`` (short name) of ``mode`` by day or at night."""
        if not night:
            for name, minutes in self.line_headway_min:
                if name == line:
                    return minutes
        table = {
            "bus": self.bus_night_headway_min if night else self.bus_day_headway_min,
            "tram": self.tram_headway_min,
            "river": self.river_headway_min,
            "tube": self.tube_night_headway_min if night else self.tube_day_headway_min,
            "dlr": self.dlr_headway_min,
            "elizabeth": self.elizabeth_headway_min,
            "overground": (
                self.overground_night_headway_min if night else self.overground_day_headway_min
            ),
            "rail": self.rail_night_headway_min if night else self.rail_other_headway_min,
        }
        return table[mode]

    @property
    def planned_wait(self) -> tuple[float, float, float] | None:
        """``(from_min, base_min, slope)`` of the planned wait, or None (always half a headway)."""
        if self.planned_wait_from_min <= 0:
            return None
        return (self.planned_wait_from_min, self.planned_wait_base_min, self.planned_wait_slope)

    def rail_settings(self) -> RailSettings:
        """The National Rail part of these settings."""
        return RailSettings(
            timetable=self.rail_timetable,
            service_date=self.rail_service_date,
            sample_max_schedules=self.rail_sample_max_schedules,
            window_min=self.rail_window_min,
            operator_headway_min=self.rail_operator_headway_min,
            other_headway_min=self.rail_other_headway_min,
            night_headway_min=self.rail_night_headway_min,
            skip_operators=self.rail_skip_operators,
            count_window=self.rail_count_window,
        )

    def board_penalty_s(self, mode: str) -> float:
        """Boarding allowance of ``mode`` in seconds."""
        minutes = self.rail_board_penalty_min if mode in RAIL_MODES else self.board_penalty_min
        return minutes * 60.0


def wait_seconds(headway_s: np.ndarray, planned: tuple[float, float, float] | None) -> np.ndarray:
    """The wait for a service every ``headway_s`` seconds, before the boarding allowance.

    Half the headway (random arrivals); with ``planned = (from_min, base_min, slope)``,
    for headways over ``from_min`` the smaller of that and ``base_min + slope x headway``
    (passengers who time their arrival by the timetable).

    >>> wait_seconds(np.array([600.0, 1200.0, 3600.0]), (10.0, 2.0, 0.3)) / 60
    array([ 5.,  8., 20.])
    """
    h = np.asarray(headway_s, dtype=np.float64)
    half = h / 2.0
    if planned is None or planned[0] <= 0:
        return half
    frm, base, slope = planned
    return np.where(h > frm * 60.0, np.minimum(half, base * 60.0 + slope * h), half)
