"""URLs of the delivery area: courses and venues, sessions, enrolment, attendance and check-in,
calendar feeds, discussions."""

from __future__ import annotations

from django.urls import path

from cascade.delivery import (
    views_attendance,
    views_calendar,
    views_courses,
    views_discussions,
    views_sessions,
)

app_name = "delivery"

urlpatterns = [
    # Courses and venues (program managers plan them)
    path("courses/", views_courses.course_list, name="courses"),
    path("courses/new/", views_courses.course_new, name="course_new"),
    path("courses/<int:pk>/", views_courses.course_detail, name="course"),
    path("courses/<int:pk>/edit/", views_courses.course_edit, name="course_edit"),
    path(
        "courses/<int:pk>/materials/<int:material_pk>/",
        views_courses.material_download,
        name="material",
    ),
    path("venues/", views_courses.venue_list, name="venues"),
    path("venues/new/", views_courses.venue_new, name="venue_new"),
    path("venues/<int:pk>/", views_courses.venue_edit, name="venue_edit"),
    # Sessions
    path("sessions/", views_sessions.session_list, name="sessions"),
    path("sessions/mine/", views_sessions.my_sessions, name="my_sessions"),
    path("sessions/new/", views_sessions.session_new, name="session_new"),
    path("sessions/<int:pk>/", views_sessions.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", views_sessions.session_edit, name="session_edit"),
    path("sessions/<int:pk>/open/", views_sessions.session_open, name="session_open"),
    path("sessions/<int:pk>/cancel/", views_sessions.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/staff/", views_sessions.session_staff, name="session_staff"),
    path(
        "sessions/<int:pk>/staff/<int:staff_pk>/remove/",
        views_sessions.staff_remove,
        name="staff_remove",
    ),
    path("sessions/<int:pk>/enrol/", views_sessions.enrol, name="enrol"),
    path("sessions/<int:pk>/leave/", views_sessions.leave, name="leave"),
    path("sessions/<int:pk>/nominate/", views_sessions.nominate, name="nominate"),
    path("sessions/<int:pk>/enrol-people/", views_sessions.enrol_people, name="enrol_people"),
    path("bookings/<int:pk>/decide/", views_sessions.booking_decide, name="booking_decide"),
    path("bookings/<int:pk>/cancel/", views_sessions.booking_cancel, name="booking_cancel"),
    # Attendance and check-in
    path("sessions/<int:pk>/attendance/", views_attendance.attendance, name="attendance"),
    path("sessions/<int:pk>/check-in/", views_attendance.session_check_in, name="check_in"),
    path("sessions/<int:pk>/check-in/qr.svg", views_attendance.check_in_qr, name="check_in_qr"),
    path("check-in/", views_attendance.check_in_by_code, name="check_in_code"),
    # Calendars
    *views_calendar.urlpatterns,
    # Discussions
    *views_discussions.urlpatterns,
]
