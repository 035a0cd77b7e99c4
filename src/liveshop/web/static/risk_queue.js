// The risk analysts' queue: each form posts its case's label, then the card leaves.
import { _, api } from "/static/common.js";

for (const form of document.querySelectorAll(".label-form")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".form-error");
    error.hidden = true;
    try {
      await api("POST", `/api/risk/cases/${form.dataset.caseId}/label`, {
        label: form.elements.label.value,
      });
      form.closest(".case-card").remove();
    } catch (failure) {
      error.textContent = failure.message || _("标注失败");
      error.hidden = false;
    }
  });
}
