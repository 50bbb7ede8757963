/**
 * A small i18n: Chinese by default, English on the switch in the header (kept in localStorage). Each area of
 * the console has its own dictionary file (common, member, clerk, grid, ...) of `key: [中文, English]`; add a
 * file for a new area and spread it into DICT below. `t('key', { n: 3 })` fills `{n}`.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react'
import { clerk } from './clerk'
import { common } from './common'
import { grid } from './grid'
import { member } from './member'
import { secretary } from './secretary'

export type Lang = 'zh' | 'en'
export type Dict = Record<string, readonly [string, string]>

const DICT = { ...common, ...member, ...clerk, ...grid, ...secretary } satisfies Dict
export type TKey = keyof typeof DICT
export type T = (key: TKey, vars?: Record<string, string | number>) => string

const LANG_KEY = 'vp.console.lang'

export function translate(lang: Lang, key: TKey, vars?: Record<string, string | number>): string {
  const entry = DICT[key] as readonly [string, string] | undefined
  const text = entry ? entry[lang === 'zh' ? 0 : 1] : key
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : text
}

function initialLang(): Lang {
  try {
    return globalThis.localStorage?.getItem(LANG_KEY) === 'en' ? 'en' : 'zh'
  } catch {
    return 'zh'
  }
}

const LangContext = createContext<{ lang: Lang; setLang(lang: Lang): void; t: T }>({
  lang: 'zh',
  setLang: () => {},
  t: (key, vars) => translate('zh', key, vars),
})

export function LangProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang)
  const setLang = useCallback((next: Lang) => {
    setLangState(next)
    try {
      localStorage.setItem(LANG_KEY, next)
    } catch {}
    document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en'
  }, [])
  const value = useMemo(
    () => ({ lang, setLang, t: ((key, vars) => translate(lang, key, vars)) as T }),
    [lang, setLang],
  )
  return <LangContext.Provider value={value}>{children}</LangContext.Provider>
}

export function useLang() {
  return useContext(LangContext)
}

export function useT(): T {
  return useContext(LangContext).t
}

/** The label of an enum value (`status.reserved`), or the value itself when the dictionary lacks it. */
export function labelOf(t: T, prefix: string, value: string): string {
  const key = `${prefix}.${value}`
  const text = t(key as TKey)
  return text === key ? value : text
}
