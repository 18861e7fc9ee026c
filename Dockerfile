# The erm-graph web explorer, for docker-compose.yml (which points it at the neo4j service).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 erm
WORKDIR /app
COPY . /src
# A regular install: the wheel carries the named queries, loaders and schemas (the
# sub-packages erm_graph.cypher, .loaders, .schemas), the templates and the static files.
RUN pip install /src && rm -rf /src

USER erm
ENV ERM_DB=bolt://neo4j:7687 \
    ERM_DATA_DIR=/home/erm/data
EXPOSE 8000
# 0.0.0.0 inside the container only: compose publishes the port on 127.0.0.1 of the host.
CMD ["erm", "serve", "--host", "0.0.0.0", "--port", "8000"]
