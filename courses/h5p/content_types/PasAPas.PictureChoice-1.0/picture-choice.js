// PasAPas.PictureChoice: one question, two to four answers with a picture and a short text
// each. The learner touches a picture, then "Vérifier"; the feedback is kind and says why,
// and a wrong answer can be tried again. Each check is reported through H5P core as an xAPI
// "answered" statement with its score, so any H5P host can record it.
//
// Plain ES5 and the DOM only (old phones), nothing but H5P core: H5P.EventDispatcher and its
// xAPI helpers, H5P.getPath for the pictures. Every text from the content is set with
// textContent, never as HTML.
var PasAPas = (window.PasAPas = window.PasAPas || {});

PasAPas.PictureChoice = (function (H5P) {
  "use strict";

  // French first: Pas à pas is for French speakers in Belgium. Every one can be replaced by
  // the content's "l10n" params.
  var DEFAULT_L10N = {
    intro: "Touchez une image, puis « Vérifier ».",
    check: "Vérifier",
    retry: "Essayer encore",
    chooseFirst: "Touchez d'abord une image.",
    right: "Oui, bravo !",
    wrong: "Pas tout à fait.",
    tryAgain: "Essayez encore.",
    rightAnswer: "Bonne réponse",
  };
  var MAX_ANSWERS = 4;
  var SVG_NS = "http://www.w3.org/2000/svg";
  // The same drawings as the site's own icons (static/img/icons.svg), inside a circle.
  var ICONS = {
    check: ["m8 12 3 3 5-6"],
    help: ["M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14", "M12 17.5v.5"],
  };
  var instances = 0;

  function clean(value, fallback) {
    return typeof value === "string" && value.trim() ? value.trim() : fallback;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "pasapas-pc__icon");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var circle = document.createElementNS(SVG_NS, "circle");
    circle.setAttribute("cx", "12");
    circle.setAttribute("cy", "12");
    circle.setAttribute("r", "9");
    svg.appendChild(circle);
    ICONS[name].forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  function readAnswers(list, contentId) {
    var answers = [];
    (Array.isArray(list) ? list : []).forEach(function (item) {
      if (!item || !clean(item.text, "") || answers.length >= MAX_ANSWERS) return;
      var image = item.image && typeof item.image.path === "string" ? item.image : null;
      answers.push({
        text: clean(item.text, ""),
        alt: clean(item.alt, ""),
        correct: item.correct === true,
        feedback: clean(item.feedback, ""),
        src: image ? H5P.getPath(image.path, contentId) : null,
        width: image && image.width,
        height: image && image.height,
      });
    });
    return answers;
  }

  /**
   * @param {object} params content.json: question, intro, answers[], behaviour, l10n
   * @param {number} contentId
   * @param {object} [extras] set by H5P core (parent, metadata...)
   */
  function PictureChoice(params, contentId, extras) {
    H5P.EventDispatcher.call(this);
    params = params || {};
    var l10n = params.l10n || {};
    this.contentId = contentId;
    this.extras = extras || {};
    this.l10n = {};
    for (var key in DEFAULT_L10N) {
      if (Object.prototype.hasOwnProperty.call(DEFAULT_L10N, key)) {
        this.l10n[key] = clean(l10n[key], DEFAULT_L10N[key]);
      }
    }
    this.question = clean(params.question, "");
    this.intro = clean(params.intro, this.l10n.intro);
    this.enableRetry = !(params.behaviour && params.behaviour.enableRetry === false);
    this.answers = readAnswers(params.answers, contentId);
    this.chosen = null; // index of the answer touched, or null
    this.answered = false; // true once "Vérifier" has judged the chosen answer
    instances += 1;
    this.uid = "pasapas-pc-" + instances;
    this.root = null;
  }

  PictureChoice.prototype = Object.create(H5P.EventDispatcher.prototype);
  PictureChoice.prototype.constructor = PictureChoice;

  /** H5P core calls this with a jQuery-wrapped container; only the DOM element is used. */
  PictureChoice.prototype.attach = function ($container) {
    var container = $container && $container.jquery ? $container[0] : $container;
    if (!this.root) this.root = this.build();
    container.classList.add("pasapas-pc");
    container.textContent = "";
    container.appendChild(this.root);
    this.trigger("resize");
  };

  PictureChoice.prototype.build = function () {
    var self = this;
    var root = element("div", "pasapas-pc__root");
    var fieldset = element("fieldset", "pasapas-pc__choices");
    fieldset.appendChild(element("legend", "pasapas-pc__question", this.question));
    var intro = element("p", "pasapas-pc__intro", this.intro);
    intro.id = this.uid + "-intro";
    fieldset.setAttribute("aria-describedby", intro.id);
    fieldset.appendChild(intro);

    var list = element("div", "pasapas-pc__list");
    this.cards = this.answers.map(function (answer, index) {
      var card = element("label", "pasapas-pc__answer");
      if (!answer.src) card.classList.add("pasapas-pc__answer--no-picture");
      if (answer.src) {
        var picture = element("img", "pasapas-pc__picture");
        picture.src = answer.src;
        picture.alt = answer.alt; // empty when the text under it says everything
        if (answer.width && answer.height) {
          picture.width = answer.width;
          picture.height = answer.height;
        }
        picture.addEventListener("load", function () {
          self.trigger("resize");
        });
        card.appendChild(picture);
      }
      var input = element("input", "pasapas-pc__radio");
      input.type = "radio";
      input.name = self.uid;
      input.value = String(index);
      input.addEventListener("change", function () {
        self.choose(index);
      });
      card.appendChild(input);
      card.appendChild(element("span", "pasapas-pc__text", answer.text));
      var mark = element("span", "pasapas-pc__mark");
      mark.hidden = true;
      card.appendChild(mark);
      list.appendChild(card);
      return { card: card, input: input, mark: mark };
    });
    fieldset.appendChild(list);
    root.appendChild(fieldset);

    this.feedback = element("div", "pasapas-pc__feedback");
    this.feedback.setAttribute("role", "status");
    this.feedback.setAttribute("aria-live", "polite");
    this.feedback.tabIndex = -1;
    root.appendChild(this.feedback);

    var buttons = element("div", "pasapas-pc__buttons");
    this.checkButton = element("button", "pasapas-pc__button", this.l10n.check);
    this.checkButton.type = "button";
    this.checkButton.addEventListener("click", function () {
      self.check();
    });
    this.retryButton = element("button", "pasapas-pc__button", this.l10n.retry);
    this.retryButton.type = "button";
    this.retryButton.hidden = true;
    this.retryButton.addEventListener("click", function () {
      self.resetTask();
      if (self.cards.length) self.cards[0].input.focus();
    });
    buttons.appendChild(this.checkButton);
    buttons.appendChild(this.retryButton);
    root.appendChild(buttons);
    return root;
  };

  PictureChoice.prototype.choose = function (index) {
    if (this.answered) return;
    this.chosen = index;
    this.cards.forEach(function (item, other) {
      item.card.classList.toggle("is-chosen", other === index);
    });
    this.say(null);
  };

  PictureChoice.prototype.say = function (kind, title, text) {
    var box = this.feedback;
    box.textContent = "";
    box.className = "pasapas-pc__feedback" + (kind ? " pasapas-pc__feedback--" + kind : "");
    if (!kind) return;
    box.appendChild(icon(kind === "right" ? "check" : "help"));
    var words = element("p", "pasapas-pc__feedback-text");
    words.appendChild(element("strong", null, title));
    if (text) words.appendChild(document.createTextNode(" " + text));
    box.appendChild(words);
  };

  PictureChoice.prototype.mark = function (index, kind) {
    var item = this.cards[index];
    item.card.classList.add("is-" + kind);
    item.mark.textContent = "";
    item.mark.className = "pasapas-pc__mark pasapas-pc__mark--" + kind;
    item.mark.appendChild(icon(kind === "right" ? "check" : "help"));
    item.mark.appendChild(
      element("span", null, kind === "right" ? this.l10n.rightAnswer : this.l10n.wrong)
    );
    item.mark.hidden = false;
  };

  PictureChoice.prototype.check = function () {
    if (this.answered) return;
    if (this.chosen === null) {
      this.say("hint", this.l10n.chooseFirst);
      if (this.cards.length) this.cards[0].input.focus();
      this.trigger("resize");
      return;
    }
    var answer = this.answers[this.chosen];
    var right = answer.correct;
    var canRetry = !right && this.enableRetry;
    this.answered = true;
    this.cards.forEach(function (item) {
      item.input.disabled = true;
    });
    this.mark(this.chosen, right ? "right" : "wrong");
    var text = answer.feedback;
    if (canRetry) text = text ? text + " " + this.l10n.tryAgain : this.l10n.tryAgain;
    this.say(right ? "right" : "retry", right ? this.l10n.right : this.l10n.wrong, text);
    this.checkButton.hidden = true;
    this.retryButton.hidden = !canRetry;
    // The check button is gone: keep the keyboard where the learner can go on.
    (canRetry ? this.retryButton : this.feedback).focus();
    this.triggerAnswered();
    this.trigger("resize");
  };

  PictureChoice.prototype.xAPIDefinition = function () {
    return {
      description: { fr: this.question },
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      interactionType: "choice",
      choices: this.answers.map(function (answer, index) {
        return { id: String(index), description: { fr: answer.text } };
      }),
      correctResponsesPattern: this.answers
        .map(function (answer, index) {
          return answer.correct ? String(index) : null;
        })
        .filter(function (id) {
          return id !== null;
        }),
    };
  };

  PictureChoice.prototype.createAnsweredEvent = function () {
    var event = this.createXAPIEventTemplate("answered");
    var definition = event.getVerifiedStatementValue(["object", "definition"]);
    if (definition) {
      var own = this.xAPIDefinition();
      for (var key in own) {
        if (Object.prototype.hasOwnProperty.call(own, key)) definition[key] = own[key];
      }
    }
    var score = this.getScore();
    event.setScoredResult(score, this.getMaxScore(), this, true, score === this.getMaxScore());
    if (this.chosen !== null) event.data.statement.result.response = String(this.chosen);
    return event;
  };

  PictureChoice.prototype.triggerAnswered = function () {
    this.trigger(this.createAnsweredEvent());
  };

  // --- The H5P question contract, so a question set or a host can drive it -------------

  PictureChoice.prototype.getAnswerGiven = function () {
    return this.answered;
  };

  PictureChoice.prototype.getScore = function () {
    return this.answered && this.answers[this.chosen].correct ? 1 : 0;
  };

  PictureChoice.prototype.getMaxScore = function () {
    return 1;
  };

  PictureChoice.prototype.getTitle = function () {
    return H5P.createTitle ? H5P.createTitle(this.question) : this.question;
  };

  PictureChoice.prototype.getXAPIData = function () {
    return { statement: this.createAnsweredEvent().data.statement };
  };

  PictureChoice.prototype.showSolutions = function () {
    var self = this;
    if (!this.root) return;
    this.answered = true;
    this.answers.forEach(function (answer, index) {
      self.cards[index].input.disabled = true;
      if (answer.correct) self.mark(index, "right");
    });
    this.checkButton.hidden = true;
    this.retryButton.hidden = true;
    this.trigger("resize");
  };

  PictureChoice.prototype.resetTask = function () {
    this.answered = false;
    this.chosen = null;
    (this.cards || []).forEach(function (item) {
      item.input.disabled = false;
      item.input.checked = false;
      item.card.classList.remove("is-chosen", "is-right", "is-wrong");
      item.mark.hidden = true;
    });
    if (this.root) {
      this.say(null);
      this.checkButton.hidden = false;
      this.retryButton.hidden = true;
    }
    this.trigger("resize");
  };

  return PictureChoice;
})(H5P);
