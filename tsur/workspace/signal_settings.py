"""«Настройки уведомлений»: a user's own choice to get their signals by e-mail too (off by
default; tsur.escalation.mail sends them)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tsur.appeals import access
from tsur.workspace.guards import staff_required
from tsur.workspace.views import nav_context


class SignalSettingsForm(forms.Form):
    signals_by_email = forms.BooleanField(label="Присылать сигналы на e-mail", required=False)


@staff_required
@require_http_methods(["GET", "POST"])
def signal_settings(request: HttpRequest) -> HttpResponse:
    """«Настройки уведомлений»: the user's own choice to get signals by e-mail too."""
    m = access.membership_of(request.user)
    if request.method == "POST" and m is not None:
        form = SignalSettingsForm(request.POST)
        if form.is_valid():
            m.signals_by_email = form.cleaned_data["signals_by_email"]
            m.save(update_fields=["signals_by_email"])
            messages.success(request, "Настройки уведомлений сохранены.")
            return redirect(reverse("workspace:signal_settings"))
    else:
        form = SignalSettingsForm(initial={"signals_by_email": bool(m and m.signals_by_email)})
    ctx = {"form": form, "email": request.user.email, "has_membership": m is not None}
    ctx.update(nav_context(request, "alerts"))
    return render(request, "workspace/signal_settings.html", ctx)
