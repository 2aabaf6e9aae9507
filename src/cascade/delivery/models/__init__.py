"""Delivery's tables: courses and venues, dated sessions with their time slots and staff,
places on them (bookings, waitlist, attendance), calendar feeds and discussions."""

from cascade.delivery.models.courses import Course, CourseMaterial, RequiredLevel, Venue
from cascade.delivery.models.discussions import Post, Subscription, Thread
from cascade.delivery.models.sessions import (
    Attendance,
    Booking,
    CalendarFeed,
    Modality,
    Session,
    SessionStaff,
    StaffRole,
    TimeSlot,
)

__all__ = [
    "Attendance",
    "Booking",
    "CalendarFeed",
    "Course",
    "CourseMaterial",
    "Modality",
    "Post",
    "RequiredLevel",
    "Session",
    "SessionStaff",
    "StaffRole",
    "Subscription",
    "Thread",
    "TimeSlot",
    "Venue",
]
