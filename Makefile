# Weerbaar: `make run` to try it, `make test` to test it. Needs python3 (3.11+) and npm.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app:create_app

.PHONY: install install-test static translations translations-update migrate demo run web worker test bench-signup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python static translations
	$(BIN)/pip install --quiet -e .

install-test: install
	$(BIN)/pip install --quiet -e '.[test]'

static: static/vendor/utrecht/index.css

static/vendor/utrecht/index.css: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p static/vendor/utrecht
	cp node_modules/@utrecht/component-library-css/dist/index.css static/vendor/utrecht/index.css
	cp node_modules/@utrecht/design-tokens/dist/theme.css static/vendor/utrecht/theme.css
	mkdir -p static/vendor/html5-qrcode
	cp node_modules/html5-qrcode/html5-qrcode.min.js static/vendor/html5-qrcode/html5-qrcode.min.js
	mkdir -p static/vendor/idb-keyval
	cp node_modules/idb-keyval/dist/umd.js static/vendor/idb-keyval/umd.js
	mkdir -p static/vendor/grapesjs
	cp node_modules/grapesjs/dist/grapes.min.js node_modules/grapesjs/dist/css/grapes.min.css static/vendor/grapesjs/
	cp node_modules/grapesjs-mjml/dist/index.js static/vendor/grapesjs/grapesjs-mjml.min.js
	mkdir -p static/vendor/font-awesome/css static/vendor/font-awesome/fonts
	cp node_modules/font-awesome/css/font-awesome.min.css static/vendor/font-awesome/css/
	cp node_modules/font-awesome/fonts/fontawesome-webfont.woff2 node_modules/font-awesome/fonts/fontawesome-webfont.woff static/vendor/font-awesome/fonts/
	# The Dutch labels ship as CommonJS modules: wrapped so that a plain <script> hands them to the editor.
	for package in grapesjs grapesjs-mjml; do \
	  { echo "(function (exports) {"; cat node_modules/$$package/locale/nl.js; \
	    echo "window.weerbaarLocales = window.weerbaarLocales || {}; window.weerbaarLocales['$$package'] = exports.default; })({});"; \
	  } > static/vendor/grapesjs/$$package-nl.js; \
	done

translations: $(BIN)/python
	$(BIN)/pip install --quiet babel==2.18.0
	$(BIN)/pybabel -q compile -d translations

# After changing UI text: collect it and merge it into translations/en (then translate the new entries).
translations-update: $(BIN)/python
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching -i translations/messages.pot -d translations

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load --if-empty

# The web app and its background processes; Ctrl-C stops them all.
run: demo
	@echo "Weerbaar draait op http://127.0.0.1:5000 (beheer: http://127.0.0.1:5000/beheer/)"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/flask mailing worker & \
	while true; do $(BIN)/flask events tick; $(BIN)/flask campaigns tick; sleep 60; done & \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# One outbox worker (MAIL_TRANSPORT decides where mail goes); start more on PostgreSQL.
worker: migrate
	$(BIN)/flask mailing worker

test: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor instance
