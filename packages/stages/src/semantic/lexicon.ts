/**
 * Closed-class English vocabulary for the near-miss checks: general grammar, not words picked
 * from any evaluation set. Open-class words (topics) are never listed; they are compared as they
 * come.
 */

const words = (list: string) => new Set(list.trim().split(/\s+/));

/** Articles, pronouns, auxiliaries, prepositions, conjunctions, interrogatives. */
export const FUNCTION_WORDS = words(`
  a an the this that these those there here
  i me my mine myself we us our ours ourselves you your yours yourself yourselves
  he him his himself she her hers herself it its itself they them their theirs themselves
  one ones someone somebody something anyone anybody anything everyone everybody everything
  who whom whose which what when where why how whether if then than
  is am are was were be been being do does did done doing have has had having
  can could shall should will would may might must ought 'd 'll 're 've 'm
  of in on at to for from by with about into onto upon over under through during
  before after above below between among against within without across along around
  up down out off near via per as like unlike toward towards since until till
  and or but nor so yet because although though while unless also too either
  not no never
  s t d ll re ve m
`);

/**
 * Words that frame a question without changing what is asked ("what are some good ways to …"
 * ~ "how do I …"). Ignored when comparing topics.
 */
export const FRAMING_WORDS = words(`
  way ways method methods best good great top some any many much lot lots
  really actually ever possible exactly basically generally usually typically
  thing things kind kinds sort type types example examples
  just still even only very quite rather pretty so
  know think tell let please help need want
  get gets got getting make makes made making go going
  hey hi hello thanks thank kindly
`);

/** Determiners and possessives: they say which one, not what role it plays. */
export const DETERMINERS = words(`
  a an the this that these those my your his her its our their some any each every no
`);

/** Negation cues; words ending in n't are counted too. */
export const NEGATIONS = words(`
  not no never none nobody nothing nowhere neither nor without cannot
  cant dont doesnt didnt isnt arent wasnt werent wont wouldnt shouldnt couldnt hasnt havent
`);

/** Spelled-out numbers map to digits so "2" and "two" agree. "one" and "first" are left out:
 * they are more often pronoun or adverb than a count. */
export const NUMBER_WORDS = new Map<string, string>(
  Object.entries({
    zero: '0',
    two: '2',
    three: '3',
    four: '4',
    five: '5',
    six: '6',
    seven: '7',
    eight: '8',
    nine: '9',
    ten: '10',
    eleven: '11',
    twelve: '12',
    fifteen: '15',
    twenty: '20',
    thirty: '30',
    forty: '40',
    fifty: '50',
    hundred: '100',
    thousand: '1000',
    million: '1000000',
    billion: '1000000000',
    second: '2',
    third: '3',
    fourth: '4',
    fifth: '5',
    sixth: '6',
    seventh: '7',
    eighth: '8',
    ninth: '9',
    tenth: '10',
    half: '1/2',
    twice: 'x2',
    double: 'x2',
    triple: 'x3',
  }),
);

/**
 * Units of measure and currencies: "in km/h" and "in mph" ask for different numbers. Single
 * letters and words with another common sense ("in", "m", "second") are left out.
 */
export const UNITS = words(`
  mm cm km inch inches ft foot feet yd yard yards mile miles meter meters metre metres
  kilometer kilometers kilometre kilometres km/h kph mph m/s knot knots
  mg kg gram grams kilogram kilograms lb lbs pound pounds oz ounce ounces ton tons tonne tonnes
  ml liter liters litre litres gallon gallons
  celsius fahrenheit kelvin
  seconds minute minutes hour hours day days week weeks month months year years decade decades
  kb mb gb tb kbps mbps gbps hz khz mhz ghz kw kwh mah
  usd eur gbp inr jpy cny rs dollar dollars euro euros rupee rupees yen yuan percent
`);

/**
 * Opposite poles of the same scale. A prompt on one pole and a prompt on the other ask
 * different questions however similar they look ("maximise" / "minimise").
 */
export const POLAR_PAIRS: Array<[Set<string>, Set<string>]> = [
  [
    words('less least fewer fewest minimum minimal minimize minimise min lower lowest decrease'),
    words('more most maximum maximal maximize maximise max higher highest increase'),
  ],
  [words('before prior earlier earliest early'), words('after later latest late')],
  [words('bad worse worst'), words('good better best')],
  [words('cheap cheaper cheapest inexpensive'), words('expensive costly pricier priciest')],
  [words('easy easier easiest simple simpler'), words('hard harder hardest difficult')],
  [words('small smaller smallest tiny'), words('big bigger biggest large larger largest huge')],
  [words('slow slower slowest'), words('fast faster fastest quick quicker quickest')],
  [words('short shorter shortest'), words('tall taller tallest')],
  [words('weak weaker weakest'), words('strong stronger strongest')],
  [words('young younger youngest new newer newest'), words('old older oldest')],
  [words('first'), words('last')],
  [words('buy buying bought purchase'), words('sell selling sold')],
  [words('gain gaining gained'), words('lose losing lost')],
  [words('win winning won'), words('lose losing lost')],
  [words('import imports importing'), words('export exports exporting')],
  [
    words('advantage advantages pro pros benefit benefits'),
    words('disadvantage disadvantages con cons drawback drawbacks'),
  ],
  [words('positive'), words('negative')],
  [words('true'), words('false')],
  [words('hot hotter hottest warm'), words('cold colder coldest cool')],
  [words('love'), words('hate')],
  [words('rich richer richest wealthy'), words('poor poorer poorest')],
  [words('legal'), words('illegal')],
  [words('start starting begin beginning'), words('stop stopping quit quitting end')],
  [words('male men man boy boys'), words('female women woman girl girls')],
  [words('under below beneath'), words('over above')],
  [words('inside'), words('outside')],
  [words('north northern'), words('south southern')],
  [words('east eastern'), words('west western')],
  [words('left'), words('right')],
];

/** Words that make a relation symmetric ("X or Y", "between X and Y"): swapping X and Y is safe. */
export const SYMMETRIC_CONNECTORS =
  /(?:^|[\s,/&])(?:and|or|vs|versus|nor|between|&)(?=$|[\s,/&])|[,/&]/;
