"""What an operation pays: wages, overtime, cover, and the price of failing the customer.

All amounts are in one currency of the user's choosing (capsim never converts). The
cost KPIs (:mod:`capsim.costs`) are exact sums of these prices times what a
replication recorded, so that a cost is as reproducible as the quantities behind it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from capsim.scenario.base import Float, Price, SchemaModel


class Costs(SchemaModel):
    """Prices per paid hour, overtime hour, cover day, late order, hour late and abandon.

    - wages: each paid technician-day's scheduled hours (inside the horizon, after the
      warm-up) at the wage of the technician's shift pattern (``wage_per_hour`` of the
      pattern, else this table's). A day off is unpaid; a vacation day is paid; a day
      of absence (sickness, a last-minute call-in, an outbreak, a stress event, a floor
      closure) is paid when ``absent_paid`` (the default);
    - overtime: every overtime hour (worked past the shift end) at wage × ``overtime_premium``
      (1.5: time and a half; the premium is the whole rate, not the extra half);
    - cover: ``cover_per_day`` for every day a replacement works an absent technician's
      shift (status ``covered``), on top of the absent technician's own pay;
    - late: ``late_per_order`` for every counted order that was late (finished after its
      due time, or unfinished at the horizon; abandoned orders are priced as abandoned,
      not as late) and ``late_per_hour`` for each hour of lateness (until the horizon for an
      unfinished one);
    - abandoned: ``abandoned_per_order`` for every order arrived after the warm-up that
      left unserved;
    - float: ``float_per_day`` for every day a float-pool member works (they are paid
      by the day called, not by the wage);
    - agency: ``agency_per_day`` for every day an agency person booked works (paid by the
      day booked, not by the wage).
    """

    wage_per_hour: Price = Field(0.0, description="Pay per paid technician-hour (shift "
                                 "patterns may set their own).")
    overtime_premium: Annotated[Float, Field(ge=1, le=10)] = Field(
        1.5, description="Overtime pay per hour as a multiple of the wage (1.5: time and a "
        "half).")
    absent_paid: StrictBool = Field(True, description="Whether a day of absence (not a day "
                                    "off) is paid.")
    cover_per_day: Price = Field(0.0, description="Cost of a replacement working an absent "
                                 "technician's shift (a covered day).")
    late_per_order: Price = Field(0.0, description="Penalty per late (or unfinished) counted "
                                  "order.")
    late_per_hour: Price = Field(0.0, description="Penalty per hour an order is late.")
    abandoned_per_order: Price = Field(0.0, description="Cost of an order that left "
                                       "unserved.")
    float_per_day: Price = Field(0.0, description="Cost of a float-pool member's day "
                                 "worked (policies.float_pool).")
    agency_per_day: Price = Field(0.0, description="Cost of an agency person's day booked "
                                  "(policies.agency).")
